// Sample rows as they cross from the worker: Float64Arrays of whole rows,
// one after another.

/** The first `rows` rows of `chunks` (arrays of rows `width` wide), as chunks. */
export function firstRows(chunks, rows, width) {
  let keep = rows;
  const kept = [];
  for (const flat of chunks) {
    if (keep <= 0) break;
    const n = flat.length / width;
    kept.push(n <= keep ? flat : flat.subarray(0, keep * width));
    keep -= n;
  }
  return kept;
}
