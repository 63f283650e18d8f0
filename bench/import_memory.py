"""Peak memory of reading the largest directory spreadsheet the import accepts (issue 8, point 6).

Generates a CSV and an XLSX of DIRECTORY_IMPORT_MAX_ROWS rows (100,000; one hospital and one person
a row) and, each in a fresh subprocess so that figures do not mix, measures with tracemalloc the
peak of:

- the baseline: reading the file's bytes into memory,
- reading it as the import does (read_rows: the limits checked, then every row streamed),

and prints both, their ratio, what the XLSX unpacks to and how tightly it is packed (against
DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES and DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO). Checking the
rows against the directory (plan_import) is measured in time and memory by bench/import_directory.py.

    .venv/bin/python bench/import_memory.py [--rows 100000]
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["country", "hospital", "city", "first_name", "last_name", "email", "phone", "role"]


def row(n):
    return [
        "DE",
        f"Universitätsklinikum {n // 3}",
        "München",
        "Jürgen",
        f"Großmann-{n}",
        f"clinician.{n}@hospital.example.eu",
        f"+49 89 {n:07d}",
        "other",
    ]


def generate(folder, rows):
    import openpyxl

    csv_path = folder / "directory.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(row(n) for n in range(rows))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for n in range(rows):
        sheet.append(row(n))
    xlsx_path = folder / "directory.xlsx"
    book.save(xlsx_path)
    return csv_path, xlsx_path


MEASURE = """
import sys, tracemalloc, django
django.setup()
from directory.services.import_reading import read_rows
path, how = sys.argv[1], sys.argv[2]
tracemalloc.start()
if how == "bytes":
    data = open(path, "rb").read()
    count = len(data)
else:
    count = sum(1 for _ in read_rows(path).rows)
print(count, tracemalloc.get_traced_memory()[1])
"""


def measure(path, how):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    environment.pop("DATABASE_URL", None)
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), how],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(output[0]), int(output[1]) / 1024 / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cmss-bench-memory-") as folder:
        csv_path, xlsx_path = generate(Path(folder), options.rows)
        with zipfile.ZipFile(xlsx_path) as archive:
            members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        ratio = max(m.file_size / max(m.compress_size, 1) for m in members)
        print(f"{options.rows:,} rows")
        print(
            f"XLSX {xlsx_path.stat().st_size / 2**20:.1f} MB, unpacks to {unpacked / 2**20:.1f} MB "
            f"(limit 200 MB), tightest part packed {ratio:.0f} to 1 (limit 100)"
        )
        for path in (csv_path, xlsx_path):
            _, baseline = measure(path, "bytes")
            rows, peak = measure(path, "read_rows")
            assert rows == options.rows, rows
            print(
                f"{path.suffix[1:].upper():4} {path.stat().st_size / 2**20:5.1f} MB: "
                f"read_rows peak {peak:6.1f} MB, baseline (the file's bytes) {baseline:6.1f} MB, "
                f"ratio {peak / baseline:.2f}"
            )


if __name__ == "__main__":
    main()
