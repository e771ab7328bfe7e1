#!/usr/bin/python3
"""docs/scenario.schema.json describes the scenario files: every file of the
catalogue validates against it, and malformed sdp_rules the loader refuses
(and that a schema can express) are refused by the schema too."""
import glob
import json
import os
import sys

import jsonschema
import yaml

root = sys.argv[1]
schema = json.load(open(os.path.join(root, "docs", "scenario.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
files = sorted(glob.glob(os.path.join(root, "scenarios", "*.yaml")))
assert len(files) >= 20, files
for path in files:
    errors = list(validator.iter_errors(yaml.safe_load(open(path))))
    if errors:
        failed += 1
        print(f"FAIL {path}: {errors[0].message}")
bad = os.path.join(root, "tests", "data", "bad-scenarios")
for name in ["sdp-rule-unknown-field", "sdp-rule-bad-in", "sdp-rule-replace-without-match",
             "sdp-rule-match-without-replace", "sdp-rules-without-attack", "sdp-rules-attack-without-rules",
             "sdp-rules-empty"]:
    if validator.is_valid(yaml.safe_load(open(os.path.join(bad, name + ".yaml")))):
        failed += 1
        print(f"FAIL {name}.yaml: accepted by the schema, refused by the loader")
print(f"{len(files)} catalogue files checked, {failed} failure(s)")
sys.exit(1 if failed else 0)
