"""`flask catalogue import|export`: a municipality loads and saves its own table."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from models.catalogue import Activity, FieldSet, load_file

MAPS = ["--map", "Fältare=Fältgruppen", "--map", "Familjecentral=Familjecentralen",
        "--map", "Mötesplats=Mötesplatsen"]


def test_import_the_seed_catalogue_then_export_it(runner, db, tmp_path):
    result = runner.invoke(args=["catalogue", "import", *MAPS, "--create-units"])
    assert result.exit_code == 0, result.output
    assert "Created: 18" in result.output
    assert db.exec(select(func.count()).select_from(Activity)).one() == 18
    out = tmp_path / "ours.json"
    result = runner.invoke(args=["catalogue", "export", str(out)])
    assert result.exit_code == 0 and "18 activities" in result.output
    exported = load_file(out)
    assert {u for a in exported["activities"] for u in a["units"]} >= {"Fältgruppen",
                                                                        "Mötesplatsen"}
    again = runner.invoke(args=["catalogue", "import", str(out)])
    assert again.exit_code == 0 and "Created: 0, updated: 0, new field-set versions: 0" in (
        again.output)


def test_import_without_the_units_fails_cleanly_and_changes_nothing(runner, db):
    result = runner.invoke(args=["catalogue", "import"])
    assert result.exit_code != 0 and "Fältare" in result.output
    assert db.exec(select(func.count()).select_from(FieldSet)).one() == 0


def test_a_bad_map_option_is_refused(runner):
    result = runner.invoke(args=["catalogue", "import", "--map", "Fältare"])
    assert result.exit_code != 0 and "FILE_NAME=UNIT" in result.output
