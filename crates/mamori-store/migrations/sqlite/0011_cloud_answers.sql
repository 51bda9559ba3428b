-- Cloud-service assessments answer the configured questionnaire: the
-- answers move from one column per default question into one JSON object
-- (question id -> answer). Keep in step with ../postgres/0011_cloud_answers.sql.
ALTER TABLE cloud_assessments ADD COLUMN answers TEXT;
UPDATE cloud_assessments SET answers = NULLIF(json_patch('{}', json_object(
    'access_control_mfa', access_control_mfa,
    'data_location', data_location,
    'encryption', encryption,
    'exit_deletion', exit_deletion,
    'incident_notice', incident_notice,
    'iso27001', CASE iso27001 WHEN 1 THEN 'yes' ELSE 'no' END,
    'iso27017', CASE iso27017 WHEN 1 THEN 'yes' ELSE 'no' END,
    'ismap', CASE ismap WHEN 1 THEN 'yes' ELSE 'no' END,
    'logging', logging,
    'soc2', CASE soc2 WHEN 1 THEN 'yes' ELSE 'no' END,
    'subprocessors', subprocessors
)), '{}');
ALTER TABLE cloud_assessments DROP COLUMN data_location;
ALTER TABLE cloud_assessments DROP COLUMN iso27001;
ALTER TABLE cloud_assessments DROP COLUMN iso27017;
ALTER TABLE cloud_assessments DROP COLUMN ismap;
ALTER TABLE cloud_assessments DROP COLUMN soc2;
ALTER TABLE cloud_assessments DROP COLUMN encryption;
ALTER TABLE cloud_assessments DROP COLUMN access_control_mfa;
ALTER TABLE cloud_assessments DROP COLUMN logging;
ALTER TABLE cloud_assessments DROP COLUMN incident_notice;
ALTER TABLE cloud_assessments DROP COLUMN subprocessors;
ALTER TABLE cloud_assessments DROP COLUMN exit_deletion;
