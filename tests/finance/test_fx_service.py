"""FX rates with a database: loading the ECB's reference rates, importing a bank's rates from
CSV (all or nothing), and looking up the rate for a day — never a stale one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from chuhai.core.auth import SYSTEM, Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.core.money import Money
from chuhai.finance import service
from chuhai.finance.fx import FxRate, FxRateMissing
from chuhai.finance.fx_import import RateRowError
from chuhai.finance.tables import FxRateRow
from chuhai.markets import service as markets
from chuhai.markets.model import MarketSpec

TODAY = date(2026, 11, 28)
JAN_31 = date(2025, 1, 31)
HEADER = "date,base,quote,rate,source\n"


@pytest.fixture
def at(db, settings):  # type: ignore[no-untyped-def]
    """`with at(day, actor, **settings) as ctx:` a unit of work whose clock reads noon UTC of
    `day`; it commits at the end."""

    @contextmanager
    def open_at(day: date = TODAY, actor: Actor = SYSTEM, **changes: object) -> Iterator[Context]:
        clock = FixedClock(datetime.combine(day, time(12), UTC))
        with db.unit_of_work() as uow:
            yield Context(uow.session, actor, clock, replace(settings, **changes))
            uow.commit()

    return open_at


def stored(ctx: Context) -> int:
    return int(ctx.session.scalar(select(func.count()).select_from(FxRateRow)) or 0)


def load_january_2025(at, quotes=("USD", "CNY")) -> int:  # type: ignore[no-untyped-def]
    with at(date(2025, 2, 1)) as ctx:
        return service.load_ecb_rates(
            ctx.session, currencies=set(quotes), since=date(2025, 1, 1), clock=ctx.clock
        )


# --- loading the ECB's reference rates ------------------------------------------------------------


def test_the_ecb_load_stores_each_published_day_exactly_and_only_once(at):
    assert load_january_2025(at) == 44  # 22 TARGET days in January 2025, USD and CNY

    with at(date(2025, 2, 1)) as ctx:
        row = ctx.session.get(FxRateRow, ("EUR", "USD", JAN_31, "ECB"))
        assert row is not None and row.rate == "1.0393" and row.loaded_by == "system"
        assert row.loaded_at == datetime(2025, 2, 1, 12, tzinfo=UTC)
        again = service.load_ecb_rates(
            ctx.session, currencies={"USD", "CNY"}, since=date(2025, 1, 1), clock=ctx.clock
        )
        assert again == 0
        earlier = service.load_ecb_rates(
            ctx.session, currencies={"USD", "CNY"}, since=date(2024, 12, 20), clock=ctx.clock
        )
        assert earlier == 12  # 20, 23, 24, 27, 30 and 31 December (25 and 26 are holidays)
        assert stored(ctx) == 56


def test_by_default_the_ecb_load_takes_two_years_of_the_active_markets_currencies(at, world):
    kuwait = MarketSpec(
        code="KW",
        name="Kuwait",
        region="Middle East",
        currency="KWD",
        languages=["ar"],
        tax_inclusive=False,
        time_zone="Asia/Kuwait",
        country_code="KW",
    )
    with at(date(2025, 1, 10), world["merchandiser"]) as ctx:
        markets.create_market(ctx, kuwait)

    with at(date(2025, 1, 10), world["finance"]) as ctx:
        done = service.load_ecb(ctx)

    assert done.currencies == ["AUD", "CNY", "GBP", "JPY", "USD"]
    assert done.since == date(2023, 1, 10)
    assert done.unpublished == ["KWD"]
    assert done.added == 512 * 5  # 512 TARGET days from 2023-01-10 to 2025-01-10
    assert done.data_ends == service.ecb_history().last_day


def test_the_ecb_load_of_all_currencies_skips_those_iso_4217_no_longer_lists(at):
    with at(date(2025, 1, 10)) as ctx:
        done = service.load_ecb(ctx, since=date(2025, 1, 9), all_currencies=True)

    assert len(done.currencies) == 30
    assert {"USD", "CNY", "JPY", "TRY", "ZAR"} <= set(done.currencies)
    assert not {"BGN", "HRK", "CYP", "EUR"} & set(done.currencies)  # left the ISO list
    assert done.added == 58  # two days of 29: RUB has not been published since March 2022


def test_the_ecb_load_refuses_what_the_ecb_does_not_publish_and_stores_nothing(at):
    with at(date(2025, 2, 1)) as ctx, pytest.raises(ValidationFailed) as refused:
        service.load_ecb(ctx, currencies={"USD", "KWD", "XYZ"}, since=date(2025, 1, 1))

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("currencies", "the ECB publishes no reference rate for KWD"),
        ("currencies", "unknown ISO 4217 currency code 'XYZ'"),
    ]
    with at() as ctx:
        assert stored(ctx) == 0


def test_the_ecb_load_refuses_a_start_in_the_future(at):
    with at(date(2025, 2, 1)) as ctx, pytest.raises(ValidationFailed) as refused:
        service.load_ecb(ctx, since=date(2025, 2, 2))

    assert refused.value.field == "since"
    assert refused.value.errors[0].message == "2025-02-02 is in the future"


def test_only_finance_loads_rates(at, world):
    with at(actor=world["merchandiser"]) as ctx, pytest.raises(Forbidden):
        service.load_ecb(ctx, since=date(2025, 1, 1))


# --- looking up the rate for a day ---------------------------------------------------------------


def test_lookups_direct_inverse_cross_and_same_currency(at):
    load_january_2025(at)

    with at(date(2025, 2, 1)) as ctx:
        direct = service.rate_on(ctx, "EUR", "CNY", JAN_31)
        inverse = service.rate_on(ctx, "USD", "EUR", JAN_31)
        cross = service.rate_on(ctx, "CNY", "USD", JAN_31)
        same = service.rate_on(ctx, "CNY", "CNY", JAN_31)

    assert direct == FxRate("EUR", "CNY", Decimal("7.5363"), JAN_31, "ECB")
    assert inverse == FxRate(
        "USD",
        "EUR",
        Decimal("0.96218608678918502838"),
        JAN_31,
        "ECB",
        "1 / EUR→USD 1.0393 (ECB 2025-01-31)",
    )
    assert cross == FxRate(
        "CNY",
        "USD",
        Decimal("0.13790586892772315327"),
        JAN_31,
        "ECB",
        "EUR→USD 1.0393 (ECB 2025-01-31) / EUR→CNY 7.5363 (ECB 2025-01-31)",
    )
    assert same == FxRate("CNY", "CNY", Decimal(1), JAN_31, "identity")


def test_a_weekend_takes_fridays_rate(at):
    load_january_2025(at)

    with at(date(2025, 2, 3)) as ctx:
        assert service.rate_on(ctx, "EUR", "USD", date(2025, 2, 2)).on == JAN_31


def test_a_stale_rate_is_refused_naming_the_pair_and_the_newest_date(at):
    load_january_2025(at, ("USD", "CNY", "JPY"))

    with at(date(2025, 2, 10)) as ctx, pytest.raises(FxRateMissing) as refused:
        service.rate_on(ctx, "CNY", "JPY", date(2025, 2, 10))

    assert refused.value.detail == (
        "no CNY→JPY rate on or before 2025-02-10 within 7 days (newest: 2025-01-31)"
    )
    assert refused.value.problem()["newest"] == "2025-01-31"


def test_the_age_limit_comes_from_the_settings_unless_given(at):
    load_january_2025(at)

    with at(date(2025, 2, 10), fx_max_age_days=10) as ctx:
        assert service.rate_on(ctx, "CNY", "USD", date(2025, 2, 10)).on == JAN_31
        with pytest.raises(FxRateMissing):
            service.rate_on(ctx, "CNY", "USD", date(2025, 2, 10), max_age_days=9)
        assert service.rate_on(ctx, "CNY", "USD", date(2025, 2, 10), max_age_days=10).on == JAN_31


def test_a_pair_never_published_is_refused_as_none_on_record(at):
    load_january_2025(at)

    with at(date(2025, 2, 1)) as ctx, pytest.raises(FxRateMissing) as refused:
        service.rate_on(ctx, "CNY", "KWD", JAN_31)

    assert refused.value.detail == (
        "no CNY→KWD rate on or before 2025-01-31 within 7 days (none on record)"
    )


def test_a_bare_session_must_say_its_age_limit(at):
    load_january_2025(at)

    with at() as ctx:
        with pytest.raises(TypeError):
            service.rate_on(ctx.session, "CNY", "USD", JAN_31)
        assert service.rate_on(ctx.session, "CNY", "USD", JAN_31, 3).on == JAN_31


@pytest.mark.parametrize(
    ("base", "quote", "max_age_days", "field", "message"),
    [
        ("usd", "CNY", 7, "base", "unknown ISO 4217 currency code 'usd'"),
        ("CNY", "XYZ", 7, "quote", "unknown ISO 4217 currency code 'XYZ'"),
        ("CNY", "USD", -1, "max_age_days", "must be between 0 and 3660"),
        ("CNY", "USD", 10**9, "max_age_days", "must be between 0 and 3660"),
    ],
)
def test_a_malformed_question_names_the_field(at, base, quote, max_age_days, field, message):
    with at() as ctx, pytest.raises(ValidationFailed) as refused:
        service.rate_on(ctx, base, quote, TODAY, max_age_days)

    assert (refused.value.field, refused.value.errors[0].message) == (field, message)


def test_today_needs_todays_rates_not_the_bundled_ecb_history(at):
    """The bundled ECB data ends weeks before "today": refused until a bank's rates arrive."""
    with at() as ctx:
        service.load_ecb_rates(
            ctx.session, currencies={"USD", "CNY"}, since=date(2026, 10, 1), clock=ctx.clock
        )
        with pytest.raises(FxRateMissing) as refused:
            service.rate_on(ctx, "CNY", "USD", TODAY)
        assert refused.value.detail == (
            "no CNY→USD rate on or before 2026-11-28 within 7 days (newest: 2026-10-30)"
        )

    with at(actor=SYSTEM) as ctx:
        service.import_rates_csv(
            ctx, "boc.csv", (HEADER + "2026-11-27,CNY,USD,0.1406,BOC\n").encode()
        )

    with at() as ctx:
        assert service.rate_on(ctx, "CNY", "USD", TODAY) == FxRate(
            "CNY", "USD", Decimal("0.1406"), date(2026, 11, 27), "BOC"
        )
        converted = service.convert_on(ctx, Money(1_250, "CNY"), "USD", TODAY)
        assert converted.money == Money(176, "USD")  # 12.50 CNY × 0.1406 = 1.7575 USD
        assert (converted.on, converted.source) == (date(2026, 11, 27), "BOC")


def test_a_source_can_be_pinned(at):
    load_january_2025(at)
    with at(date(2025, 2, 1)) as ctx:
        service.import_rates_csv(
            ctx, "boc.csv", (HEADER + "2025-01-31,CNY,USD,0.1375,BOC\n").encode()
        )

    with at(date(2025, 2, 1)) as ctx:
        assert service.rate_on(ctx, "CNY", "USD", JAN_31).rate == Decimal("0.1375")
        pinned = service.rate_on(ctx, "CNY", "USD", JAN_31, source="ECB")
        assert pinned.rate == Decimal("0.13790586892772315327")
        with pytest.raises(FxRateMissing):
            service.rate_on(ctx, "CNY", "JPY", JAN_31, source="BOC")


def test_the_newest_rates_with_their_age_and_staleness(at):
    load_january_2025(at)
    with at(date(2025, 2, 9)) as ctx:
        service.import_rates_csv(
            ctx, "boc.csv", (HEADER + "2025-02-07,CNY,USD,0.1371,BOC\n").encode()
        )

    with at(date(2025, 2, 9)) as ctx:
        latest = service.latest_rates(ctx)

    assert [
        (x.rate.pair, x.rate.source, str(x.rate.rate), x.age_days, x.stale) for x in latest
    ] == [
        ("CNY→USD", "BOC", "0.1371", 2, False),
        ("EUR→CNY", "ECB", "7.5363", 9, True),
        ("EUR→USD", "ECB", "1.0393", 9, True),
    ]


# --- importing rates from CSV --------------------------------------------------------------------

GOOD = (
    HEADER
    + "2026-11-26,USD,CNY,7.1102,BOC\n"
    + "2026-11-27,usd,cny,7.1085,\n"  # lower case is read as upper; no source: the default
    + "2026-11-27,KWD,CNY,23.151,NBK\n"
)


def test_a_good_file_stores_every_rate_exactly_and_a_second_import_changes_nothing(at, world):
    with at(actor=world["finance"]) as ctx:
        report = service.import_rates_csv(ctx, "rates.csv", GOOD.encode(), default_source="icbc")

    assert report.ok and report.summary() == "3 rows, 3 rates added, no errors"
    assert report.sources == ["BOC", "ICBC", "NBK"]
    assert report.pairs == ["USD→CNY", "KWD→CNY"]
    with at() as ctx:
        row = ctx.session.get(FxRateRow, ("USD", "CNY", date(2026, 11, 27), "ICBC"))
        assert row is not None and row.rate == "7.1085"
        assert row.loaded_by == world["finance"].user_id

    with at(actor=world["finance"]) as ctx:
        again = service.import_rates_csv(ctx, "rates.csv", GOOD.encode(), default_source="ICBC")

    assert (again.added, again.unchanged) == (0, 3)
    assert again.summary() == "3 rows, 0 rates added, 3 already stored, no errors"


def test_columns_in_any_order_semicolons_and_a_bom_are_read(at):
    content = "\ufeffRATE;Quote;Base;Date\n23.151;CNY;KWD;2026-11-27\n"

    with at() as ctx:
        report = service.import_rates_csv(ctx, "nbk.csv", content.encode())

    assert report.ok and report.sources == ["IMPORT"]  # no source column: the default
    with at() as ctx:
        assert ctx.session.get(FxRateRow, ("KWD", "CNY", date(2026, 11, 27), "IMPORT"))


GOOD_ROW = "2026-11-27,USD,CNY,7.1085,BOC\n"


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        pytest.param("2026-11-27,XYZ,CNY,7.1,BOC", "base", "unknown ISO 4217 currency code 'XYZ'"),
        pytest.param("2026-11-27,USD,RMB,7.1,BOC", "quote", "unknown ISO 4217 currency code 'RMB'"),
        pytest.param("2026-11-27,,CNY,7.1,BOC", "base", "give the base currency", id="no base"),
        pytest.param("2026-11-27,USD,USD,1,BOC", "quote", "base and quote are both USD"),
        pytest.param("2026-11-27,USD,CNY,0,BOC", "rate", "must be greater than zero, got 0"),
        pytest.param("2026-11-27,USD,CNY,-7.1,BOC", "rate", "must be greater than zero, got -7.1"),
        pytest.param("2026-11-27,USD,CNY,seven,BOC", "rate", "'seven' is not a number"),
        pytest.param("2026-11-27,USD,CNY,,BOC", "rate", "give the rate", id="no rate"),
        pytest.param(
            "27/11/2026,USD,CNY,7.1,BOC", "date", "'27/11/2026' is not a date like 2026-11-27"
        ),
        pytest.param(
            "2026-02-30,USD,CNY,7.1,BOC", "date", "'2026-02-30' is not a date like 2026-11-27"
        ),
        pytest.param(",USD,CNY,7.1,BOC", "date", "give the date", id="no date"),
        pytest.param(
            "2026-11-29,USD,CNY,7.1,BOC",
            "date",
            "2026-11-29 is in the future (today is 2026-11-28)",
            id="future date",
        ),
        pytest.param(
            "2026-11-27,USD,CNY,7.1,ECB",
            "source",
            "ECB is reserved for the ECB's reference rates (chuhai fx load-ecb); "
            "name the source of these rates, e.g. BOC",
            id="ECB reserved",
        ),
        pytest.param(
            "2026-11-27,USD,CNY,7.1,BANK OF CHINA",
            "source",
            "a source is 1-16 upper-case letters, digits, '-' or '_', e.g. BOC",
            id="bad source",
        ),
        pytest.param(
            "2026-11-27,USD,CNY,7.1,BOC,extra",
            "file",
            "the row has 6 cells but the header has 5 columns",
            id="extra cell",
        ),
        pytest.param(
            "2026-11-27,USD,CNY,7.2,BOC",
            "date",
            "BOC USD→CNY for 2026-11-27 is already given on row 2",
            id="repeated row",
        ),
    ],
)
def test_any_bad_row_is_reported_and_nothing_is_stored(at, line, field, message):
    content = HEADER + GOOD_ROW + line + "\n"

    with at() as ctx:
        report = service.import_rates_csv(ctx, "rates.csv", content.encode())

    assert report.errors == [RateRowError(3, field, message)]
    assert report.summary() == "1 of 2 rows has errors; nothing was imported"
    assert report.added == 0
    with at() as ctx:
        assert stored(ctx) == 0


def test_a_different_rate_for_a_stored_day_is_refused_never_overwritten(at):
    with at() as ctx:
        service.import_rates_csv(ctx, "a.csv", (HEADER + GOOD_ROW).encode())

    with at() as ctx:
        report = service.import_rates_csv(
            ctx,
            "b.csv",
            (HEADER + "2026-11-26,USD,CNY,7.11,BOC\n2026-11-27,USD,CNY,7.2,BOC\n").encode(),
        )

    assert report.errors == [
        RateRowError(
            3,
            "rate",
            "BOC USD→CNY for 2026-11-27 is already stored as 7.1085; "
            "a stored rate is never changed",
        )
    ]
    with at() as ctx:
        assert stored(ctx) == 1
        assert service.rate_on(ctx, "USD", "CNY", TODAY).rate == Decimal("7.1085")


def test_every_bad_row_is_listed_at_once(at):
    content = HEADER + "2026-11-27,XYZ,CNY,0,BOC\n" + GOOD_ROW + "\n" + "bad,USD,CNY,7.1,\n"

    with at() as ctx:
        report = service.import_rates_csv(ctx, "rates.csv", content.encode())

    assert report.errors == [
        RateRowError(2, "base", "unknown ISO 4217 currency code 'XYZ'"),
        RateRowError(2, "rate", "must be greater than zero, got 0"),
        RateRowError(5, "date", "'bad' is not a date like 2026-11-27"),  # a blank row counts
    ]
    assert report.summary() == "2 of 3 rows have errors; nothing was imported"


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        pytest.param("rates.xlsx", b"x", "'rates.xlsx' is not a .csv file; upload rates as CSV"),
        pytest.param("rates.csv", b"", "the file is empty"),
        pytest.param(
            "rates.csv", b"date,base,quote,rate\n", "the file has a header row but no data rows"
        ),
        pytest.param(
            "rates.csv",
            b"date,base,quote\n2026-11-27,USD,CNY\n",
            "missing columns 'rate'; the columns are date, base, quote, rate and optionally source",
        ),
        pytest.param(
            "rates.csv",
            b"date,base,quote,rate,note\n2026-11-27,USD,CNY,7.1,x\n",
            "unknown columns 'note'; the columns are date, base, quote, rate and optionally source",
        ),
        pytest.param(
            "rates.csv",
            b"date,date,base,quote,rate\n",
            "columns 'date' appear more than once; "
            "the columns are date, base, quote, rate and optionally source",
        ),
        pytest.param(
            "rates.csv",
            b"date,base\x00,quote,rate\n",
            "the file contains NUL characters, so it is not CSV text",
            id="binary",
        ),
        pytest.param(
            "rates.csv",
            b'date,base,quote,rate\n"2026-11-27,USD,CNY,7.1\n',
            "a quoted value that starts on line 2 is never closed",
            id="unterminated quote",
        ),
    ],
)
def test_a_bad_file_is_refused_whole(at, filename, content, message):
    with at() as ctx:
        report = service.import_rates_csv(ctx, filename, content)

    assert report.errors == [RateRowError(0, "file", message)]
    assert report.summary() == f"{message}; nothing was imported"


def test_excel_unicode_text_is_read(at):
    content = "date\tbase\tquote\trate\tsource\r\n2026-11-27\tUSD\tCNY\t7.1085\tBOC\r\n"

    with at() as ctx:
        report = service.import_rates_csv(ctx, "rates.csv", content.encode("utf-16"))

    assert report.ok and report.added == 1


def test_a_file_over_the_size_limit_is_refused(at):
    with at(max_import_bytes=64) as ctx:
        report = service.import_rates_csv(ctx, "rates.csv", (HEADER + GOOD_ROW * 3).encode())

    assert report.errors == [RateRowError(0, "file", "the file is 118 bytes; the limit is 64")]


def test_only_finance_imports_rates(at, world):
    with at(actor=world["logistics"]) as ctx, pytest.raises(Forbidden):
        service.import_rates_csv(ctx, "rates.csv", (HEADER + GOOD_ROW).encode())
    with at(actor=world["logistics"]) as ctx:
        assert service.latest_rates(ctx) == []  # but every operator reads them
