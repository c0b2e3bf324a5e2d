-- Reserved: this number belongs to the ActivityWatch buckets migration being written on another
-- branch. This empty step keeps the numbering contiguous here; at merge it is replaced by that
-- migration (and the WakaTime migration that follows keeps its number, 6).
SELECT 1;
