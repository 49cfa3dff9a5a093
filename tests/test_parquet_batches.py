"""Reading Parquet holds one row group at a time (pyarrow's whole-file ``iter_batches`` kept them all)."""
import random

import pyarrow as pa
import pyarrow.parquet as pq

from curation.io.docfiles import iter_documents
from curation.io.parquet_batches import iter_batches


def _many_row_groups(path, groups=40, rows=200, text_bytes=2000):
    rng = random.Random(0)
    with pq.ParquetWriter(path, pa.schema([("id", pa.string()), ("text", pa.string())]),
                          compression="none") as writer:
        for g in range(groups):
            ids = [f"d{g}-{r}" for r in range(rows)]
            texts = [rng.randbytes(text_bytes // 2).hex() for _ in range(rows)]
            writer.write_table(pa.table({"id": ids, "text": texts}))
    return groups * rows * text_bytes


def test_documents_are_read_one_row_group_at_a_time(tmp_path):
    path = str(tmp_path / "docs.parquet")
    total = _many_row_groups(path)
    arrow_peak, ids = 0, []
    for doc in iter_documents(path):
        ids.append(doc["id"])
        arrow_peak = max(arrow_peak, pa.total_allocated_bytes())
    assert len(ids) == 40 * 200 and ids[-1] == "d39-199"
    # one row group is 400 KB of text; the whole file 16 MB, which the whole-file reader held by the end
    assert arrow_peak < total / 8, f"Arrow held {arrow_peak:,} bytes of a {total:,}-byte file"


def test_batches_keep_file_order_and_columns(tmp_path):
    path = str(tmp_path / "docs.parquet")
    _many_row_groups(path, groups=3, rows=5, text_bytes=10)
    batches = list(iter_batches(pq.ParquetFile(path), batch_size=2, columns=["id"]))
    assert [b.num_columns for b in batches] == [1] * len(batches)
    assert [i for b in batches for i in b.column("id").to_pylist()] == [f"d{g}-{r}" for g in range(3) for r in range(5)]
    assert max(b.num_rows for b in batches) == 2
