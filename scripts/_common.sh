# Shared by scripts/up and scripts/test: make sure uv and the project's environment exist.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ensure_uv() {
    if ! command -v uv >/dev/null 2>&1; then
        python3 -m pip install --quiet uv >/dev/null 2>&1 || pip install --quiet uv
    fi
}

sync_env() {
    ensure_uv
    uv sync --frozen --quiet
}
