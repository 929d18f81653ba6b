"""GraphiQL's editor is embedded (assets/vendor, made by scripts/vendor-graphiql)
and its page pins each file by an integrity hash: a wrong hash would block
GraphiQL in every browser. This takes each file out of its published npm
package (`npm pack`, through the registry CI reaches) and checks that the
embedded file is that file, byte for byte, and that the page's hash is its
SHA-384."""

import base64
import gzip
import hashlib
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = ROOT / "assets/dashboard/graphiql.html"
SCRIPT = ROOT / "scripts/vendor-graphiql"
# `"package@version path-in-package served-as"` in the script's list.
ENTRY = re.compile(r'^\s*"(?P<pkg>[a-z@/-]+)@(?P<ver>[0-9.]+) (?P<path>\S+) (?P<name>\S+)"$', re.M)
TAG = re.compile(r'(?:src|href)="/dashboard/vendor/(?P<name>[^"]+)"\s+integrity="(?P<sri>sha384-[A-Za-z0-9+/=]+)"')


def main() -> int:
    pinned = {m["name"]: m["sri"] for m in TAG.finditer(PAGE.read_text())}
    entries = list(ENTRY.finditer(SCRIPT.read_text()))
    if len(pinned) != 4 or sorted(pinned) != sorted(e["name"] for e in entries):
        print(f"the page pins {sorted(pinned)}; the script makes {[e['name'] for e in entries]}")
        return 1
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for e in entries:
            spec = f"{e['pkg']}@{e['ver']}"
            out = subprocess.run(
                ["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            with tarfile.open(pathlib.Path(tmp) / out) as tar:
                published = tar.extractfile(f"package/{e['path']}").read()
            embedded = gzip.decompress((ROOT / "assets/vendor" / f"{e['name']}.gz").read_bytes())
            sri = "sha384-" + base64.b64encode(hashlib.sha384(published).digest()).decode()
            problems = []
            if embedded != published:
                problems.append("the embedded file differs from the published one")
            if sri != pinned[e["name"]]:
                problems.append(f"the published file hashes to {sri}")
            bad += bool(problems)
            print(f"{'BAD' if problems else 'ok '} {spec}/{e['path']}" + "".join(f": {p}" for p in problems))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
