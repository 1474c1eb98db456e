"""deploy/backup and deploy/restore on the stack's database, then the site on the restored data.

One run for the module: back up (with DATABASE_URL, then with libpq's PG* variables), drop and
recreate the database, restore, then restore again over the full database (refused) and with
--clean. The tests look at what each step did.
"""

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.processes import PG_HOST, PG_PORT, PG_USER, ROOT, ProcessError, clean_env, psql, run
from tests.stack.browser import Account, Client, log_in, sign_up
from tests.stack.topology import DATABASE_URL, DB_NAME, table_counts

BACKUP, RESTORE = ROOT / "deploy" / "backup", ROOT / "deploy" / "restore"
DAY = 86400


@dataclass
class BackupRun:
    account: Account  # signed up before the backup
    categories: int  # through the API, before the backup
    before: dict[str, int]  # rows per table
    backups: Path
    dump: Path  # with DATABASE_URL
    second: Path  # with PG* variables
    wiped_ready: int  # /ready's status on the recreated, empty database
    after: dict[str, int]
    refused: str | None  # restore over the full database: its error, None when it went ahead
    after_refused: dict[str, int]
    after_clean: dict[str, int]


def stand_in(path: Path, *, age_days: int) -> Path:
    path.write_text("stand-in\n")
    then = time.time() - age_days * DAY
    os.utime(path, (then, then))
    return path


def last_line(output: str) -> Path:
    return Path(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def backup_run(stack) -> BackupRun:
    account = sign_up("Signup")
    categories = len(Client().get("/api/categories").json())
    backups = stack.tmp / "backups"
    backups.mkdir()
    stand_in(backups / "gigsta-20000101T000000Z.dump", age_days=40)
    stand_in(backups / "gigsta-20000102T000000Z.dump", age_days=10)
    stand_in(backups / "notes.txt", age_days=40)
    before = table_counts()
    assert before.get("accounts_user", 0) >= 6, f"too little data to compare: {before}"

    env = clean_env(DATABASE_URL=DATABASE_URL, BACKUP_DIR=str(backups))
    dump = last_line(run([BACKUP], env=env))
    assert dump.is_file() and dump.stat().st_size > 0, f"deploy/backup printed {dump}, which is not a file"
    pg_env = clean_env(PGHOST=PG_HOST, PGPORT=PG_PORT, PGUSER=PG_USER, PGDATABASE=DB_NAME, BACKUP_DIR=str(backups))
    second = last_line(run([BACKUP], env=pg_env))

    psql(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)', database="postgres")
    psql(f'CREATE DATABASE "{DB_NAME}"', database="postgres")
    assert table_counts() == {}, "the recreated database is not empty"
    wiped_ready = Client().get("/ready").status

    run([RESTORE, dump], env=clean_env(DATABASE_URL=DATABASE_URL))
    after = table_counts()
    try:
        run([RESTORE, second], env=pg_env)
    except ProcessError as exc:
        refused = str(exc)
    else:
        refused = None
    after_refused = table_counts()
    run([RESTORE, "--clean", second], env=pg_env)
    return BackupRun(
        account, categories, before, backups, dump, second, wiped_ready, after, refused, after_refused, table_counts()
    )


def test_backup_is_a_dump_only_its_owner_reads(backup_run):
    dump = backup_run.dump
    assert re.fullmatch(r"gigsta-\d{8}T\d{6}Z(-\d+)?\.dump", dump.name) is not None, f"name {dump.name}"
    assert dump.stat().st_mode & 0o077 == 0, f"{dump.name} is readable by others: {oct(dump.stat().st_mode)}"


def test_retention_deletes_only_old_backups_it_owns(backup_run):
    backups = backup_run.backups
    assert not (backups / "gigsta-20000101T000000Z.dump").exists(), (
        "a 40-day-old backup survived BACKUP_RETENTION_DAYS=35 (the default)"
    )
    assert (backups / "gigsta-20000102T000000Z.dump").exists() and (backups / "notes.txt").exists(), (
        "retention deleted a young backup or a file it does not own"
    )


def test_backup_with_pg_variables(backup_run):
    second = backup_run.second
    assert second.is_file() and second != backup_run.dump, "the PG* variables backup did not write a second file"


def test_wiped_database_is_not_ready(backup_run):
    assert backup_run.wiped_ready == 503, f"/ready answered {backup_run.wiped_ready} on the wiped database, not 503"


def test_restore_gives_back_every_row(backup_run):
    before, after = backup_run.before, backup_run.after
    differ = {t: (before.get(t), after.get(t)) for t in set(before) | set(after) if before.get(t) != after.get(t)}
    assert not differ, f"row counts differ after restore (before, after): {differ}"


def test_restore_refuses_a_database_with_tables(backup_run):
    refused = backup_run.refused
    assert refused is not None, "deploy/restore replaced a database that has tables without --clean"
    assert "already has" in refused, f"restore over a full database failed oddly: {refused}"
    assert backup_run.after_refused == backup_run.before, "the refused restore changed the data"


def test_restore_clean_replaces_the_live_database(backup_run):
    assert backup_run.after_clean == backup_run.before, "restore --clean over the live database changed the row counts"


def test_site_works_on_the_restored_database(backup_run):
    ready = Client().get("/ready")
    assert ready.status == 200, f"/ready answered {ready.status} after the restore: {ready.text[:200]}"
    categories = Client().get("/api/categories").json()
    assert len(categories) == backup_run.categories, "a different number of categories after restore"


def test_log_in_with_the_password_set_before_the_backup(backup_run):
    log_in(backup_run.account)


def test_sign_up_after_restore(backup_run):
    sign_up("Restored")
