"""`make bench`: every benchmark, each printing one JSON object and writing bench/results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "repair.py",
    "repair_pdf.py",  # real PDFs with the accent artifact, read back with pypdf
    "classify_throughput.py",
    "portal_path.py",
    "pseudonyms.py",  # the real-text figures need ../shared/realdata (skipped without it)
    "classifier.py",
    "classifier_independent.py",  # new writers and proposals; real-text rows need ../shared
    "classifier_real.py",  # real answers: diagnosis, real labels; needs ../shared, else a skip
    "adaptation_curve.py",  # how many of the consultation's labels, which first; needs ../shared
    "label_agreement.py",  # a second labeller against the first: the real figures' ceiling
    "zero_shot.py",  # zero-shot old vs new; the real-text rows need ../shared/realdata
    "proposals.py",
    "proposals_heldout.py",  # discovery: proposals hidden from what is learnt, 5 folds
    "proposals_real.py",  # real answers, hand labels; needs ../shared/realdata, else a skip
    "label_reading.py",  # blind readers: do answers make their label's proposal; needs ../shared
    "proposals_stability.py",  # the same real answers reordered or 1 % fewer; needs ../shared
    "subproposals_real.py",  # a large proposal's variants on real answers; needs ../shared
    "sampled_refit.py",  # what fitting the proposals on a sample costs, real answers
    "proposals_scale.py",
    "proposals_e2e.py",  # `run` on 22,607 recombined real answers; needs ../shared/realdata
    "scale.py",  # local vs Dask with 1 and 2 workers at 10k and 100k (hours on 2 cores)
    "embedders.py",
    "non_answers.py",  # needs ../shared/realdata, else it writes a skip
    "few_label.py",  # retraining on 259 real labels, 4-theme scheme; needs ../shared/realdata
    "pages.py",
    "access_overhead.py",
    "load.py",  # starts the server; wrk when installed (apt-get install wrk), else Python
]

if __name__ == "__main__":
    failed = 0
    for name in sys.argv[1:] or BENCHMARKS:
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / name)], cwd=HERE).returncode != 0
    sys.exit(1 if failed else 0)
