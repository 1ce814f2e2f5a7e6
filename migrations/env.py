"""`alembic upgrade head` from the repository root migrates both services.

There are no revisions here: each service owns its Alembic tree (`certobot/migrations`,
`mock_crm/migrations`), its Postgres schema (`bot`, `crm`) and its version table. This root
environment runs each service's own migration command in a process of its own, so neither
service's code is imported into the other's (and Alembic's per-run context is not nested).
A URL set on the config (`sqlalchemy.url`, as the tests do) is handed to both services;
otherwise each reads its own setting (`BOT_DATABASE_URL` / `CRM_DATABASE_URL`, else `DATABASE_URL`).
Other operations (downgrade, revision) go to a service's own tree: `alembic -c certobot/migrations/alembic.ini ...`.
"""

from __future__ import annotations

import os
import subprocess
import sys

from alembic import context

# This tree has no revisions, so Alembic's own revision argument is empty; the command's options say
# what was asked (`upgrade` to `head`).
_asked = context._proxy.context_opts
if not (_asked.get("fn").__qualname__.startswith("upgrade.") and _asked.get("destination_rev") in ("head", "heads")):
    raise SystemExit(
        "Na raiz só existe `alembic upgrade head` (migra os dois serviços). Para outras operações, use a "
        "árvore de cada serviço: alembic -c certobot/migrations/alembic.ini … ou mock_crm/migrations/alembic.ini …"
    )

url = context.config.get_main_option("sqlalchemy.url")
for module, variable in (("mock_crm.migrate", "CRM_DATABASE_URL"), ("certobot.migrate", "BOT_DATABASE_URL")):
    env = dict(os.environ)
    if url:
        env[variable] = url
    subprocess.run([sys.executable, "-m", module], check=True, env=env)
