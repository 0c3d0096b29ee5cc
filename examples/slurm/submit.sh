#!/usr/bin/env bash
# Submit a fusemix sweep to Slurm as a job array, and its merge as a job that waits for the array.
#   examples/slurm/submit.sh <spec.json> <out folder on a shared file system> [tasks] [sweep slurm flags: --partition p --time 02:00:00 --mem 4G ...]
# e.g. examples/slurm/submit.sh examples/sweeps/mix-quick.json /shared/$USER/mix-quick 8 --time 00:30:00
# Each array task runs every n-th point (`fusemix sweep run --shard` from SLURM_ARRAY_TASK_ID); a
# point whose result is already in <out>/points is skipped, so resubmitting after a failure or a
# cancelled task only computes what is missing. Run it from the fusemix checkout or a project with
# fusemix installed: the generated script runs this node binary and this fusemix.
set -euo pipefail
spec=${1:?usage: submit.sh spec.json out-folder [tasks]}
out=${2:?usage: submit.sh spec.json out-folder [tasks]}
tasks=${3:-8}
shift $(( $# < 3 ? $# : 3 ))
job=$(npx fusemix sweep slurm "$spec" --out "$out" --tasks "$tasks" --submit --json "$@" \
  | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).jobId)')
echo "array job $job: $tasks tasks; log files in $out/slurm/"
# afterany: merge even when some task failed; merge then names the missing points (exit 2), and a
# resubmission of this script computes only those
merge=$(sbatch --parsable --job-name=fusemix-merge --dependency="afterany:$job" \
  --output="$out/slurm/merge-%j.out" --wrap "cd '$PWD' && npx fusemix sweep merge '$out'")
echo "merge job $merge: writes $out/sweep.csv, sweep.json and the plots when the array is done"
