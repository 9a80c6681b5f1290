// Parse Mermaid diagrams with Mermaid's own parser (not a regular expression).
// Input on stdin: a JSON list of diagram texts. Output on stdout: a JSON list, one entry per diagram:
// {"ok": true, "type": "flowchart-v2", "nodes": [[id, label], ...], "edges": N} or {"ok": false, "error": "..."}.
// Mermaid wants a DOM (DOMPurify); jsdom gives it one.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

const diagrams = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const text of diagrams) {
  try {
    const parsed = await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const nodes = [...diagram.db.getVertices().values()].map((vertex) => [vertex.id, vertex.text, vertex.classes]);
    results.push({ ok: true, type: parsed.diagramType, nodes, edges: diagram.db.getEdges().length });
  } catch (error) {
    results.push({ ok: false, error: String(error.message || error).split('\n').slice(0, 3).join(' ') });
  }
}
process.stdout.write(JSON.stringify(results));
