"""The declarative base of this service's tables; no other service shares it."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from certokit.db import NAMING


class CrmBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
