"""Token shards: mixture sampling, packing, Parquet shards, manifest and the training reader."""
