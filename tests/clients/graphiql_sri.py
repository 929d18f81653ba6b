"""GraphiQL's page loads React, ReactDOM and GraphiQL from unpkg, each under an
integrity hash: a wrong hash would block GraphiQL in every browser while the
server's own tests pass. unpkg serves the files of the npm packages, so this
takes each file out of its package (`npm pack`, through the registry CI
reaches) and checks its SHA-384 against the page's attribute."""

import base64
import hashlib
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

PAGE = pathlib.Path(__file__).resolve().parents[2] / "assets/dashboard/graphiql.html"
TAG = re.compile(
    r'(?:src|href)="https://unpkg\.com/(?P<pkg>[a-z-]+)@(?P<ver>[0-9.]+)/(?P<path>[^"]+)"\s+'
    r'integrity="(?P<sri>sha384-[A-Za-z0-9+/=]+)"'
)


def main() -> int:
    found = list(TAG.finditer(PAGE.read_text()))
    if len(found) != 4:
        print(f"expected 4 pinned files in {PAGE}, found {len(found)}")
        return 1
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for m in found:
            spec = f"{m['pkg']}@{m['ver']}"
            out = subprocess.run(
                ["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            with tarfile.open(pathlib.Path(tmp) / out) as tar:
                data = tar.extractfile(f"package/{m['path']}").read()
            sri = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
            ok = sri == m["sri"]
            bad += not ok
            print(f"{'ok ' if ok else 'BAD'} {spec}/{m['path']}" + ("" if ok else f": the file hashes to {sri}"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
