/**
 * How the simulated model reads a request: like a real model, from the text of the prompt, not
 * from side channels. It recognises sparq's four kinds of request (write a new problem, solve a
 * problem, classify a problem, judge an answer against a reference) by what they ask for.
 */
import type { ChatRequest } from '../backends/types.js';

export interface ParentBlock {
  text: string;
  subject: string | null;
}

export type SimTask =
  | { kind: 'mutate'; operator: 'vary' | 'harder' | 'combine'; parents: ParentBlock[] }
  | { kind: 'label'; problem: string; skills: Map<string, string[]> }
  | { kind: 'solve'; problem: string }
  | { kind: 'judge'; problem: string; reference: string; solution: string };

const PROBLEM_BLOCK = /<problem([^>]*)>\n?([\s\S]*?)\n?<\/problem>/g;

export function readTask(request: ChatRequest): SimTask {
  const user = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const blocks: ParentBlock[] = [...user.matchAll(PROBLEM_BLOCK)].map((m) => ({
    text: m[2]!.trim(),
    subject: /subject="([^"]*)"/.exec(m[1]!)?.[1] ?? null,
  }));
  // Instructions are read with the quoted problems taken out, so a parent that says "harder" or
  // "classify" does not change what is asked.
  const instructions = user.replace(PROBLEM_BLOCK, ' ').toLowerCase();

  const reference = block(user, 'reference');
  const solution = block(user, 'solution');
  if (reference !== null && solution !== null && /\bequivalent\b/.test(instructions)) {
    return { kind: 'judge', problem: blocks[0]?.text ?? '', reference, solution };
  }
  if (blocks.length > 0 && /\bclassify\b/.test(instructions) && /\bskill/.test(instructions)) {
    return {
      kind: 'label',
      problem: blocks[0]!.text,
      skills: readSkillList(user.replace(PROBLEM_BLOCK, ' ')),
    };
  }
  if (blocks.length > 0 && /\bnew problem\b/.test(instructions)) {
    const operator =
      blocks.length >= 2 ? 'combine' : /\bharder\b|\bmore difficult\b/.test(instructions) ? 'harder' : 'vary';
    return { kind: 'mutate', operator, parents: blocks };
  }
  return { kind: 'solve', problem: extractProblem(user, blocks) };
}

function block(text: string, tag: string): string | null {
  const m = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(text);
  return m ? m[1]!.trim() : null;
}

function extractProblem(user: string, blocks: ParentBlock[]): string {
  if (blocks.length > 0) return blocks[blocks.length - 1]!.text;
  // Few-shot prompts repeat "Problem:"; the one to solve is the last.
  const idx = user.lastIndexOf('Problem:');
  if (idx >= 0)
    return user
      .slice(idx + 'Problem:'.length)
      .split(/\n\s*(?:Solution|Answer):/)[0]!
      .trim();
  return user.trim();
}

/** Reads "Subject:\n- skill\n- skill" lists as the labelling prompt shows them. */
function readSkillList(text: string): Map<string, string[]> {
  const skills = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    const heading = /^([A-Z][A-Za-z &]+):\s*$/.exec(line.trim());
    if (heading) {
      current = [];
      skills.set(heading[1]!, current);
      continue;
    }
    const item = /^\s*-\s+(.+?)\s*$/.exec(line);
    if (item && current) current.push(item[1]!);
    else if (line.trim() !== '') current = null;
  }
  return skills;
}
