#!/usr/bin/env bash
# Backup drill: back up the database in DATABASE_URL, wipe it, restore it, and check that the
# facts are exactly the same as before. Run it against a copy or a staging database, never the
# live one: the wipe is real. Usage: DATABASE_URL=... scripts/backup-drill.sh [WORKDIR]
set -euo pipefail
PY="${PYTHON:-python}"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"

"$PY" -m bot migrate >/dev/null
"$PY" -m bot export "$work/before.json" 2>/dev/null
"$PY" -m bot backup "$work/backup.bin"

# Wipe: drop every table (SQLite: delete the file; PostgreSQL: recreate the public schema).
"$PY" - <<'PYEOF'
import asyncio, os
from pathlib import Path
from sqlalchemy import text
from sqlalchemy.engine import make_url
from store.db import create_engine

url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///data/briefing.db")
parsed = make_url(url)
if parsed.get_backend_name() == "sqlite":
    for suffix in ("", "-wal", "-shm"):
        Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
else:
    async def wipe() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    asyncio.run(wipe())
PYEOF

"$PY" -m bot restore "$work/backup.bin"
"$PY" -m bot export "$work/after.json" 2>/dev/null

# Compare everything but the export's own timestamp.
"$PY" - "$work/before.json" "$work/after.json" <<'PYEOF'
import json, sys
before, after = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
for data in (before, after):
    data.pop("exported_at", None)
if before != after:
    sys.exit("backup drill FAILED: the restored facts differ from the originals")
total = sum(len(before.get(k, [])) for k in ("updates", "positions", "exchanges", "rounds"))
print(f"backup drill OK: {total} facts identical after backup, wipe and restore")
PYEOF
