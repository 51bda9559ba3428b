-- What the regulators' breach reports ask beyond the facts: cause,
-- secondary damage, response to the people, public announcement, contact
-- point. Keep in step with ../postgres/0020_report_items.sql.
ALTER TABLE incidents ADD COLUMN cause TEXT;
ALTER TABLE incidents ADD COLUMN secondary_damage TEXT;
ALTER TABLE incidents ADD COLUMN response_to_people TEXT;
ALTER TABLE incidents ADD COLUMN announcement TEXT;
ALTER TABLE incidents ADD COLUMN contact_point TEXT;
