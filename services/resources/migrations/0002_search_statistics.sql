-- depends: 0001_resources
-- The type as a search lexeme (type_video, ...), so the GIN index intersects a word with a type.
UPDATE resources SET search = search || ('type_' || type)::tsvector WHERE NOT search @@ ('type_' || type)::tsquery;
-- Track the frequencies of many more lexemes than the default 1,000: with them the planner knows
-- a rare word is rare and reads it from the GIN index instead of walking the newest-first index
-- through every row (docs/benchmarks.md). ANALYZE of a million resources takes about a minute.
ALTER TABLE resources ALTER COLUMN search SET STATISTICS 10000;
