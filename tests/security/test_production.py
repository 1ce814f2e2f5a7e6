"""Production started with each demo or unsafe setting: it refuses, in one line naming the setting."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from certobot.config import BotSettings, ConfigError, load_settings
from certobot.main import create_app
from certokit.sealing import dev_key
from mock_crm.settings import CrmSettings

STRONG = "k3Jw9PqZ0vB7xY2mN5tR8sL4uE6aC1dF"  # 32 characters, random-looking
DATA_KEY = base64.b64encode(bytes(range(32))).decode()
HASH_KEY = base64.b64encode(bytes(range(32, 64))).decode()
DEV_DATA_KEY = base64.b64encode(dev_key("certobot", "data")).decode()
SAFE: dict[str, Any] = {
    "environment": "production",
    "crm_api_key": SecretStr(STRONG + "crm"),
    "crm_webhook_secret": SecretStr(STRONG + "hook"),
    "certobot_api_key": SecretStr(STRONG + "op"),
    "whatsapp_access_token": SecretStr("EAAG" + STRONG * 4),
    "whatsapp_phone_number_id": "106540352242922",
    "whatsapp_app_secret": SecretStr(STRONG),
    "whatsapp_verify_token": SecretStr(STRONG + "verify"),
    "data_keys": SecretStr(f"k1:{DATA_KEY}"),
    "data_hash_key": SecretStr(HASH_KEY),
}


def bot(**changes: Any) -> BotSettings:
    return load_settings(BotSettings, _env_file=None, **{**SAFE, **changes})


class TestRefusals:
    def test_safe_production_settings_start(self) -> None:
        assert bot().environment == "production"

    @pytest.mark.parametrize(
        ("change", "named"),
        [
            ({"crm_api_key": SecretStr("change-me-crm-key-0123456789abcdef0123")}, "CRM_API_KEY"),
            ({"crm_api_key": SecretStr("dev-crm-key")}, "CRM_API_KEY"),
            ({"crm_webhook_secret": SecretStr("dev-crm-webhook-secret")}, "CRM_WEBHOOK_SECRET"),
            ({"crm_api_key": SecretStr("a1b2c3d4e5f6")}, "CRM_API_KEY"),
            ({"certobot_api_key": SecretStr("change-me-operator-key")}, "CERTOBOT_API_KEY"),
            ({"certobot_api_key": SecretStr("short-but-random-Zx81")}, "CERTOBOT_API_KEY"),
            ({"whatsapp_access_token": None}, "WHATSAPP_ACCESS_TOKEN"),  # sandbox mode
            ({"whatsapp_phone_number_id": None}, "WHATSAPP_ACCESS_TOKEN"),  # sandbox mode too
            ({"whatsapp_app_secret": None}, "WHATSAPP_APP_SECRET"),
            ({"whatsapp_app_secret": SecretStr("sandbox-app-secret")}, "WHATSAPP_APP_SECRET"),
            ({"whatsapp_verify_token": None}, "WHATSAPP_VERIFY_TOKEN"),
            ({"whatsapp_verify_token": SecretStr("verify-me")}, "WHATSAPP_VERIFY_TOKEN"),
            ({"data_keys": None}, "DATA_KEYS"),
            ({"data_keys": SecretStr(f"k1:{DEV_DATA_KEY}")}, "DATA_KEYS"),
            ({"data_keys": SecretStr("k1:" + base64.b64encode(b"short").decode())}, "DATA_KEYS"),
            ({"data_hash_key": None}, "DATA_HASH_KEY"),
            ({"data_hash_key": SecretStr(base64.b64encode(b"too short").decode())}, "DATA_HASH_KEY"),
        ],
    )
    def test_each_unsafe_setting_is_refused_by_name(self, change: dict[str, Any], named: str) -> None:
        with pytest.raises(ConfigError) as err:
            bot(**change)
        assert str(err.value).startswith(f"Configuração inválida: {named}:")
        assert "\n" not in str(err.value)

    def test_the_crm_refuses_example_keys_and_the_sandbox(self) -> None:
        crm = {
            k: SAFE[k]
            for k in (
                "environment",
                "crm_webhook_secret",
                "whatsapp_access_token",
                "whatsapp_phone_number_id",
                "data_keys",
                "data_hash_key",
            )
        }
        load_settings(CrmSettings, _env_file=None, crm_api_key=SAFE["crm_api_key"], **crm)
        with pytest.raises(ConfigError, match="CRM_API_KEY"):
            load_settings(CrmSettings, _env_file=None, crm_api_key=SecretStr("change-me-crm-key"), **crm)
        with pytest.raises(ConfigError, match="sandbox"):
            load_settings(
                CrmSettings,
                _env_file=None,
                environment="production",
                crm_api_key=SAFE["crm_api_key"],
                crm_webhook_secret=SAFE["crm_webhook_secret"],
            )

    def test_the_bot_process_refuses_the_sandbox_in_one_line(self, tmp_path: os.PathLike[str]) -> None:
        env = {
            **os.environ,
            "ENVIRONMENT": "production",
            "CRM_API_KEY": STRONG,
            "CRM_WEBHOOK_SECRET": STRONG + "hook",
            "WHATSAPP_ACCESS_TOKEN": "",
            "DATABASE_URL": "sqlite+aiosqlite:///x.db",
            "PYTHONPATH": os.getcwd(),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "uvicorn", "certobot.main:app", "--port", "0"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert proc.returncode != 0
        assert "Traceback" not in proc.stderr
        ours = [line for line in proc.stderr.splitlines() if "Configuração inválida" in line]
        assert len(ours) == 1
        assert ours[0].startswith("Configuração inválida: WHATSAPP_ACCESS_TOKEN: o modo sandbox")


class TestSurface:
    async def _get(self, settings: BotSettings, *paths: str) -> list[int]:
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test") as client,
        ):
            return [(await client.get(p)).status_code for p in paths]

    async def test_production_has_no_simulator_sandbox_or_docs(self, database_url: str, redis_url: str) -> None:
        s = bot(database_url=database_url, redis_url=redis_url, run_background_workers=False)
        paths = ("/simulator", "/simulator/api/debtors", "/sandbox/v25.0/sent", "/docs", "/openapi.json", "/health")
        assert await self._get(s, *paths) == [404, 404, 404, 404, 404, 200]

    async def test_docs_in_production_only_when_enabled(self, database_url: str, redis_url: str) -> None:
        s = bot(database_url=database_url, redis_url=redis_url, run_background_workers=False, api_docs=True)
        assert await self._get(s, "/docs", "/openapi.json", "/simulator") == [200, 200, 404]

    async def test_development_keeps_the_demo(self, database_url: str, redis_url: str) -> None:
        s = load_settings(
            BotSettings, _env_file=None, database_url=database_url, redis_url=redis_url, run_background_workers=False
        )
        assert await self._get(s, "/simulator", "/docs") == [200, 200]
