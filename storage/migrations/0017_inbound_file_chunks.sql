-- An inbound file's content is stored a megabyte at a time, in rows of its own.
--
-- InsertInboundFile took the whole content as one value: fetching a 64 MB 835 held
-- the 64 MB in memory (and a 1 GB one would have held a gigabyte), where reading it
-- back was already done a megabyte at a time (InboundContent). A file is now stored
-- from a reader in chunks of 1 MB: inbound_file_chunks holds chunk seq (0, 1, ...)
-- of file_id, written in the same transaction as the file's row, whose content is
-- left empty (size says how long the file is). Reading a chunk reads that row only.
--
-- Files stored before keep their content in inbound_files.content and are read from
-- there: a row whose content is empty while its size is not has its bytes in chunks.
-- Nothing is moved.
--
-- On PostgreSQL the chunks are stored EXTERNAL (out of line, uncompressed), as
-- inbound_files.content is (0013). Compressed, each chunk would be decompressed on
-- its own, but pglz is slow for what it saves: storing a 64 MB 835 from x12gen took
-- 2.7-3.1 s against 1.1-1.4 s uncompressed, and reading it back 0.28-0.42 s against
-- 0.20-0.26 s, for 22 MB on disk against 66 MB.
CREATE TABLE inbound_file_chunks (
    file_id  BIGINT NOT NULL REFERENCES inbound_files(id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,                -- 0 for the first megabyte
    data     {{.Bytes}} NOT NULL,
    PRIMARY KEY (file_id, seq)
);
{{if eq .Driver "postgres"}}
ALTER TABLE inbound_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
{{end}}
