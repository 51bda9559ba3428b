-- Framework libraries: group-wide reference data (no company). Keep in step
-- with ../postgres/0005_libraries.sql.
CREATE TABLE libraries (
    id BLOB PRIMARY KEY,
    urn TEXT NOT NULL UNIQUE,
    ref_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    locale TEXT NOT NULL,
    version INTEGER NOT NULL,
    provider TEXT,
    dependencies TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE TABLE frameworks (
    id BLOB PRIMARY KEY,
    library_id BLOB NOT NULL REFERENCES libraries(id),
    urn TEXT NOT NULL UNIQUE,
    ref_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT
);
CREATE TABLE requirement_nodes (
    id BLOB PRIMARY KEY,
    framework_id BLOB NOT NULL REFERENCES frameworks(id),
    urn TEXT NOT NULL UNIQUE,
    parent_urn TEXT,
    ref_id TEXT,
    name TEXT,
    description TEXT,
    assessable INTEGER NOT NULL,
    depth INTEGER NOT NULL,
    position INTEGER NOT NULL,
    reference_controls TEXT NOT NULL
);
CREATE INDEX requirement_nodes_framework ON requirement_nodes(framework_id, position);
CREATE TABLE reference_controls (
    id BLOB PRIMARY KEY,
    library_id BLOB NOT NULL REFERENCES libraries(id),
    urn TEXT NOT NULL UNIQUE,
    ref_id TEXT,
    name TEXT,
    category TEXT,
    description TEXT
);
CREATE TABLE mapping_sets (
    id BLOB PRIMARY KEY,
    library_id BLOB NOT NULL REFERENCES libraries(id),
    urn TEXT NOT NULL UNIQUE,
    ref_id TEXT,
    name TEXT,
    source_framework_urn TEXT NOT NULL,
    target_framework_urn TEXT NOT NULL
);
CREATE TABLE requirement_mappings (
    mapping_set_id BLOB NOT NULL REFERENCES mapping_sets(id),
    source_requirement_urn TEXT NOT NULL,
    target_requirement_urn TEXT NOT NULL,
    relationship TEXT NOT NULL
);
CREATE INDEX requirement_mappings_source ON requirement_mappings(mapping_set_id, source_requirement_urn);
