-- The group's other companies an incident touches, as codes (AIR,GND).
-- Keep in step with ../postgres/0025_companies_affected.sql.
ALTER TABLE incidents ADD COLUMN companies_affected TEXT;
