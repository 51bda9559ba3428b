-- Japanese names beside the library's own (English, usually): mamori's
-- libraries carry both, CISO Assistant's give theirs as a `ja` translation.
ALTER TABLE libraries ADD COLUMN name_ja TEXT;
ALTER TABLE frameworks ADD COLUMN name_ja TEXT;
ALTER TABLE requirement_nodes ADD COLUMN name_ja TEXT;
ALTER TABLE reference_controls ADD COLUMN name_ja TEXT;
