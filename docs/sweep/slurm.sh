#!/bin/bash
# A sweep in 4 shards as a Slurm job array: task i runs shard i of 4 (sbatch docs/sweep/slurm.sh);
# then: npx weft sweep merge sweep-1 sweep-2 sweep-3 sweep-4 --out sweep
#SBATCH --job-name=weft-sweep
#SBATCH --array=1-4
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
npx weft sweep no-residuals --model tiny --seeds 1-10 --grid optim.lr=0.001,0.003 --jobs 2 --shard ${SLURM_ARRAY_TASK_ID}/4 --out sweep-${SLURM_ARRAY_TASK_ID}
