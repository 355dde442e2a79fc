"""Markets as data: seeded, and added or edited by operators with ISO/CLDR checks."""

from __future__ import annotations

import pytest

from chuhai.core.errors import Conflict, Forbidden, ValidationFailed
from chuhai.markets import service
from chuhai.markets.model import MarketSpec


def netherlands(**changes) -> MarketSpec:
    values = dict(
        code="NL",
        name="Netherlands",
        region="Europe",
        currency="EUR",
        languages=["nl_NL"],
        tax_inclusive=True,
        time_zone="Europe/Amsterdam",
        country_code="NL",
    )
    values.update(changes)
    return MarketSpec(**values)


def test_the_seeded_markets_include_domestic_china_without_customs(unit, world):
    with unit(world["finance"]) as ctx:
        markets = {m.code: m for m in service.list_markets(ctx)}
    assert set(markets) == {"US", "GB", "DE", "FR", "JP", "AU", "CN"}
    assert (markets["CN"].currency, markets["CN"].customs) == ("CNY", False)
    assert (markets["US"].tax_inclusive, markets["JP"].currency) == (False, "JPY")


def test_a_merchandiser_adds_a_market(unit, world):
    with unit(world["merchandiser"]) as ctx:
        service.create_market(ctx, netherlands())
    with unit(world["merchandiser"]) as ctx:
        assert service.get_market(ctx, "NL").languages == "nl_NL"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "EUX"}, "currency"),
        ({"country_code": "XX"}, "country_code"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"languages": ["xx_YY_ZZ"]}, "languages"),
        ({"code": "nl"}, "code"),
        ({"languages": []}, "languages"),
    ],
    ids=["currency", "country", "zone", "language", "code", "no-language"],
)
def test_bad_market_data_is_refused_naming_the_field(unit, world, change, field):
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        service.create_market(ctx, netherlands(**change))
    assert caught.value.errors[0].field == field


def test_a_market_code_is_unique_and_only_some_roles_manage_markets(unit, world):
    with unit(world["merchandiser"]) as ctx, pytest.raises(Conflict):
        service.create_market(ctx, netherlands(code="US"))
    with unit(world["logistics"]) as ctx, pytest.raises(Forbidden):
        service.create_market(ctx, netherlands())


def test_editing_a_market_keeps_its_code_and_checks_the_change(unit, world):
    with unit(world["merchandiser"]) as ctx:
        service.update_market(ctx, "AU", {"tax_inclusive": True, "languages": ["en_AU", "zh_Hans"]})
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed):
        service.update_market(ctx, "AU", {"currency": "AUX"})
    with unit(world["merchandiser"]) as ctx:
        assert service.get_market(ctx, "AU").currency == "AUD"
