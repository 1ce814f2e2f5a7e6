# Old module -> new module for the kernel move (issue #13, branch `kernel`).
# Apply to Python files, then let ruff re-sort the imports:
#   git ls-files '*.py' | xargs sed -i -f scripts/dev/kernel-imports.sed
#   uv run ruff check --fix --select I . && uv run ruff format .
# Idempotent: a second run changes nothing.

# Each service owns its declarative base: split it off `certobot.db` imports (one base per line).
/^\( *\)from certobot\.db import \(.*, \)\{0,1\}BotBase\(, .*\)\{0,1\}$/{
  s//\1from certobot.base import BotBase\n\1from certokit.db import \2\3/
  s/, , /, /
  s/import , /import /
  s/, $//
  s/\n *from certokit\.db import $//
}
/\(^\|\n\)\( *\)from certo\(bot\|kit\)\.db import \([^\n]*, \)\{0,1\}CrmBase\(, [^\n]*\)\{0,1\}$/{
  s//\1\2from mock_crm.base import CrmBase\n\2from certokit.db import \4\5/
  s/, , /, /
  s/import , /import /
  s/, $//
  s/\n *from certokit\.db import $//
}

# add_months left the negotiation policy for the kernel's dates (only when imported alone).
s/^\( *\)from certobot\.negotiation\.policy import add_months$/\1from certokit.clock import add_months/

# Whole modules that moved.
s/\bcertobot\.money\b/certokit.money/g
s/\bcertobot\.cpf\b/certokit.cpf/g
s/\bcertobot\.phones\b/certokit.phones/g
s/\bcertobot\.clock\b/certokit.clock/g
s/\bcertobot\.types\b/certokit.fields/g
s/\bcertobot\.logging\b/certokit.logging/g
s/\bcertobot\.errors\b/certokit.errors/g
s/\bcertobot\.requestlog\b/certokit.requestlog/g
s/\bcertobot\.auth\b/certokit.auth/g
# Not the SQLite file name "./certobot.db" (followed by a quote).
s/\bcertobot\.db\([^\"'a-zA-Z0-9_]\|$\)/certokit.db\1/g
s/\bcertobot\.whatsapp\.graph\b/certokit.whatsapp.graph/g
s/\bcertobot\.startup\b/certokit.startup/g

# Step 2: each service has its own settings; the loader and ConfigError live in the kernel.
s/^\( *\)from certobot\.config import CrmSettings$/\1from mock_crm.settings import CrmSettings/
s/^\( *\)from certobot\.config import ConfigError, CrmSettings, load_settings$/\1from certokit.startup import ConfigError, load_settings\n\1from mock_crm.settings import CrmSettings/
s/^\( *\)from certobot\.config import CrmSettings, load_settings$/\1from certokit.startup import load_settings\n\1from mock_crm.settings import CrmSettings/

# Security plumbing both services mount (from the `sec` branch): generic ASGI middlewares and the
# production refusal rules.
s/\bcertobot\.security\.headers\b/certokit.headers/g
s/\bcertobot\.security\.limits\b/certokit.limits/g
s/\bcertobot\.security\.production\b/certokit.production/g

# Step 3 (branch `chan`): the sending side of the channel joined the kernel, `certokit.whatsapp`;
# receiving (webhooks, signatures, Inbound, the bot's Provider and build_waha) stays in the bot.
# The CRM sends through `certokit.whatsapp.channel.ChannelSender` (its Provider imports are by hand).
s/\bcertokit\.graph\b/certokit.whatsapp.graph/g
s/\bcertobot\.whatsapp\.waha\.client\b/certokit.whatsapp.waha.client/g
s/^\( *\)from certobot\.whatsapp\.provider import \(ProviderError\|SendResult\|opening_text\)$/\1from certokit.whatsapp.channel import \2/
s/^\( *\)from certobot\.whatsapp\.provider import ProviderError, opening_text$/\1from certokit.whatsapp.channel import ProviderError, opening_text/
s/^\( *\)from certobot\.whatsapp\.provider import Inbound, ProviderError, opening_text$/\1from certobot.whatsapp.provider import Inbound\n\1from certokit.whatsapp.channel import ProviderError, opening_text/
s/^\( *\)from certobot\.whatsapp\.provider import Provider, ProviderError$/\1from certobot.whatsapp.provider import Provider\n\1from certokit.whatsapp.channel import ProviderError/
s/^\( *\)from certobot\.whatsapp\.waha\.provider import \(remember_session_status\|as_text\|template_text\)$/\1from certokit.whatsapp.waha.sender import \2/

# Postgres LISTEN/NOTIFY wake-ups (branch `hot`): both services' outbox loops use them.
s/^\( *\)from certobot import wakeup$/\1from certokit import wakeup/
s/^\( *\)from certobot import outbox, wakeup$/\1from certobot import outbox\n\1from certokit import wakeup/
s/\bcertobot\.wakeup\b/certokit.wakeup/g
