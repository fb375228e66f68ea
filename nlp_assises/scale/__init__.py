"""Past one machine: the pipeline's per-contribution work on a Dask cluster
(``nlp-assises run IN --engine dask``; docs/scale.md)."""
