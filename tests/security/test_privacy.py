"""Personal data as a data-protection officer would probe it: transcripts, operator views, access logs,
and what the debtor is told about who holds their data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from certokit.logging import scrub
from tests.e2e.conftest import Stack
from tests.factories import create_debtor, make_cpf
from tests.ports import free_port


@pytest.mark.parametrize(
    "typed",
    [
        "529.982.247-25",
        "52998224725",
        "529 982 247 25",
        "529982247-25",
        "+55 11 98765-4321",
        "5511987654321",
        "(11) 98765-4321",
        "11 98765 4321",
        "11987654321",
        "(21) 3456-7890",
    ],
)
def test_every_way_of_typing_a_cpf_or_phone_is_masked(typed: str) -> None:
    masked = scrub(f"meu número é {typed}, anota aí")
    digits = "".join(c for c in typed if c.isdigit())
    assert digits[:-4] not in "".join(c for c in masked if c.isdigit())
    assert masked.startswith("meu número é ")
    assert masked.endswith(", anota aí")


def test_amounts_dates_and_boleto_lines_are_not_mistaken_for_personal_data() -> None:
    text = "R$ 1.234.567,89 até 30/11/2026, linha 34191.09008 63571.277308 71444.640008 5 12340000088000"
    assert scrub(text) == text


class TestConversation:
    async def test_transcript_and_operator_view_hold_no_cpf_or_phone(self, stack: Stack) -> None:
        d = await create_debtor(stack.crm, phone="+5511987651401")
        phone, cpf = d["phone"].lstrip("+"), d["cpf"]
        await stack.say(phone, "oi")
        opened = await stack.say(phone, cpf[:3])
        spaced = f"{cpf[:3]} {cpf[3:6]} {cpf[6:9]} {cpf[9:]}"
        await stack.say(phone, f"meu cpf é {spaced} e meu outro número é (11) 91234-5678")
        await stack.say(phone, "PARAR")
        outcome = await stack.outcome(phone)
        assert outcome is not None
        detail = (await stack.bot.get(f"/api/conversations/{outcome['session_id']}")).json()
        shown = str(detail)
        assert cpf not in shown
        assert cpf[3:9] not in shown.replace(" ", "").replace(".", "")
        assert "91234" not in shown
        assert detail["outcome"]["debtor_cpf"] == f"***.***.***-{cpf[-2:]}"
        # the first message after identity names the controller and the encarregado
        assert "controladora nos termos da LGPD" in opened[0]
        assert "encarregado" in opened[0]


def test_the_crm_process_prints_no_cpf_when_a_debtor_is_read(tmp_path: os.PathLike[str]) -> None:
    port, cpf, key = free_port(), make_cpf(), "k" * 40
    env = {
        **os.environ,
        "PYTHONPATH": os.getcwd(),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/crm.db",
        "CRM_API_KEY": key,
        "MOCK_DEBTORS_COUNT": "0",
        "CRM_RUN_WORKERS": "false",
        "LOG_FILE": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from mock_crm.cli import app; app()", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/debtors/{cpf}", headers={"Authorization": f"Bearer {key}"}
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == 404  # the path reached the app, and its log
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "/api/debtors/" in output  # the request was logged...
    assert cpf not in output  # ...without the CPF
