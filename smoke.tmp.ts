import { readAnkiPackageWithStats } from './src/importers/anki-package.js';
import fs from 'node:fs';
for (const f of ['tests/fixtures/anki-kanjiplot/collection.anki2','tests/fixtures/anki-spanish/SpanishAnkiExportReal.apkg','tests/fixtures/anki-spanish/Example-Deck.apkg']) {
  const { plan, stats } = readAnkiPackageWithStats(f, { tmpDir: '/tmp/recall-smoke' });
  console.log(f, stats, plan.timeZone, plan.dayStartHour, plan.decks.map(d=>[d.name,d.cards.length]), plan.warnings);
  const all = plan.decks.flatMap(d=>d.cards);
  console.log(JSON.stringify(all.slice(0,3).map(c=>({...c, reviews: c.reviews.length}))));
  const types: Record<string, number> = {}; for (const c of all) types[c.content.type]=(types[c.content.type]??0)+1; console.log(types, new Set(all.map(c=>c.uid)).size);
  if (f.includes('kanji')) {
    const csv = fs.readFileSync('tests/fixtures/anki-kanjiplot/revlog.fsrs.v2-remapped.csv','utf8').trim().split('\n').slice(1);
    const mine: string[] = [];
    const sorted = [...all].sort((a,b)=>a.ankiCardId!-b.ankiCardId!);
    for (const c of sorted) for (const r of c.reviews) if (r.scheduled && r.rating>=1) mine.push(`${c.ankiCardId},${r.reviewedAt},${r.rating},${r.durationMs}`);
    const theirs = csv.map(l=>{const p=l.trim().split(','); return `${p[0]},${p[1]},${p[2]},${p[4]}`;});
    console.log('mine', mine.length, 'csv', theirs.length);
    let diff=0; const ms=new Set(mine), ts=new Set(theirs);
    for (const x of mine) if(!ts.has(x)) { if(diff++<10) console.log('extra', x); }
    for (const x of theirs) if(!ms.has(x)) { if(diff++<20) console.log('missing', x); }
    console.log('csv sorted?', theirs.join('\n') === [...theirs].sort().join('\n'));
  }
}
