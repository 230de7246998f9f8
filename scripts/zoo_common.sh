# Sourced by scripts/check_zoo.sh and scripts/check_codegen.sh: the model-zoo steps both share.
#
#   source scripts/zoo_common.sh
#   zoo_export "$out" "$models"   # sets export_status, the array names and prints the time

py=/usr/bin/python3

# Exports the models of group (or list) $2 into $1, skipping those already there, and lists
# their names in `names`. A failed export does not stop the check (the models that did export
# are still worth checking); it is kept in export_status for the exit code.
zoo_export() {
  local out="$1" models="$2" start=$SECONDS
  export_status=0
  $py scripts/export_models.py --out "$out" --models "$models" || export_status=$?
  echo "export: $((SECONDS - start)) s"
  mapfile -t names < <($py scripts/export_models.py --list --json --models "$models" |
                       $py -c 'import json, sys; print("\n".join(m["name"] for m in json.load(sys.stdin)))')
}
