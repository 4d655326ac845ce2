"""The activity catalogue (seed 001): activities, documentation levels, tally field sets
and their versions, units' own option lists, and the catalogue file format."""

from __future__ import annotations

from models.catalogue.file_format import (  # noqa: F401
    ImportReport,
    dump,
    dumps,
    export_catalogue,
    import_catalogue,
    load_file,
    parse_text,
)
from models.catalogue.specs import (  # noqa: F401
    FieldSetRef,
    FieldSetSpec,
    FieldSpec,
    OptionSpec,
    activities_of_user,
    activity_unit_ids,
    base_field_set,
    current_field_set,
    digest_of,
    forget,
    memo,
    preload_activity,
    refresh_field_sets,
    responsible_units_of,
    spec_of,
    unit_options,
    units_of_activity,
)
from models.catalogue.tables import (  # noqa: F401
    ADULT_BANDS,
    CODE_RE,
    CONTROL_CHARACTERS,
    COUNT_CEILING,
    DEFAULT_FILE,
    FORMAT,
    KEY_RE,
    LEVEL_LABELS,
    LOGGABLE,
    RESERVED_KEYS,
    Activity,
    ActivityUnit,
    FieldDef,
    FieldOption,
    FieldSet,
    Kind,
    Level,
    UnitOptionList,
)
from models.catalogue.unit_lists import (  # noqa: F401
    MAX_UNIT_OPTIONS,
    clean_options,
    editable_lists_of_unit,
    options_from_lines,
    set_unit_options,
)
