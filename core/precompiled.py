"""A model query whose SQL is compiled once per process, for the lookups every request repeats.

Compiling a queryset into SQL costs more CPU than PostgreSQL takes to answer a lookup by key: the
signed-in user (about 45 columns and a join with its unit) compiles in ~0.7 ms and runs in ~0.15 ms.
Every signed-in request loads its session and its user, so ``PrecompiledQuery`` compiles such a query
once per database alias and then only sends it with new parameters, building the model instances as
``QuerySet`` does (``ModelIterable``): the same ``from_db``, select_related's objects cached on their
parent, the database converters applied. The query goes through ``connection.cursor()``, so
``assertNumQueries``, execute wrappers and the statement timeout see it like any other.

Only for queries whose SQL does not depend on the values: equality and comparison lookups on plain
columns. ``None`` (``IS NULL``), ``__in`` lists and lookups that rewrite the value (``__contains``,
``__iexact``) compile differently; the samples must then be missing from the compiled parameters,
which is refused when the query is first compiled.
"""

from collections.abc import Callable
from weakref import ref as weak_ref

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.utils.functional import cached_property


class PrecompiledQuery:
    """``build(*args)``'s rows, with the SQL compiled from ``build(*samples)`` once per database.

    Each sample must appear exactly once among the compiled query's parameters, as the database gets
    it (an ``int`` for a key, an aware ``datetime``): a call's arguments replace the samples there, and
    must be given in that same form (see ``Field.get_prep_value``). Only plain model querysets are
    supported (``select_related`` included; no annotations, ``extra`` or ``values``).
    """

    def __init__(self, build: Callable[..., QuerySet], *samples):
        self.build = build
        self.samples = samples
        self._compiled = {}  # alias -> _Compiled; built once, then only read (safe across threads)

    @cached_property
    def model(self) -> type[Model]:
        return self.build(*self.samples).model

    def all(self, *args, using: str | None = None) -> list[Model]:
        if any(arg is None for arg in args):
            raise ValueError("PrecompiledQuery cannot send None: the SQL would need IS NULL")
        if len(args) != len(self.samples):
            raise TypeError(f"expected {len(self.samples)} arguments, got {len(args)}")
        return self._for(using or router.db_for_read(self.model)).run(args)

    def get(self, *args, using: str | None = None) -> Model:
        """The only row, or the model's ``DoesNotExist``/``MultipleObjectsReturned``, as ``QuerySet.get``."""
        rows = self.all(*args, using=using)
        if len(rows) == 1:
            return rows[0]
        if not rows:
            raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
        raise self.model.MultipleObjectsReturned(f"get() returned more than one {self.model._meta.object_name}")

    def _for(self, alias: str) -> "_Compiled":
        compiled = self._compiled.get(alias)
        if compiled is None:
            # Two threads may both compile the first time: the results are equal, either one is kept.
            compiled = self._compiled[alias] = _Compiled(self.build(*self.samples), alias, self.samples)
        return compiled


class _Compiled:
    """One query compiled for one database alias: the SQL, where the arguments go, how rows become objects."""

    def __init__(self, queryset: QuerySet, alias: str, samples: tuple):
        query = queryset.query
        if query.annotation_select or query.extra_select or queryset._iterable_class.__name__ != "ModelIterable":
            raise ValueError("PrecompiledQuery supports plain model querysets only")
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ValueError("PrecompiledQuery does not prefetch or fill in known related objects")
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info
        params = list(params)
        self.positions = []
        for sample in samples:
            found = [i for i, param in enumerate(params) if type(param) is type(sample) and param == sample]
            if len(found) != 1:
                raise ValueError(f"sample {sample!r} must appear exactly once in the compiled parameters {params!r}")
            self.positions.append(found[0])
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("PrecompiledQuery does not support composite primary keys")
        self.sql = sql
        self.params = params
        self.alias = alias
        self.model = compiler.klass_info["model"]
        self.fetch_mode = queryset._fetch_mode
        select_fields = compiler.klass_info["select_fields"]
        self.model_start, self.model_end = select_fields[0], select_fields[-1] + 1
        self.init_list = [column[0].target.attname for column in compiler.select[self.model_start : self.model_end]]
        self.klass_info, self.select = compiler.klass_info, compiler.select
        # A populator remembers the objects it made when the fetch mode tracks peers (FETCH_PEERS): then
        # each run gets its own, or peers would pile up across requests.
        self.related_populators = get_related_populators(self.klass_info, self.select, alias, self.fetch_mode)
        # Converters are called with the connection of the thread that runs the query, not the compiler's.
        self.converters = list(compiler.get_converters(fields).items())

    def run(self, args: tuple) -> list[Model]:
        params = self.params.copy()
        for position, arg in zip(self.positions, args, strict=True):
            params[position] = arg
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self._converted(rows, connection))
        populators = self.related_populators
        if self.fetch_mode.track_peers:
            populators = get_related_populators(self.klass_info, self.select, self.alias, self.fetch_mode)
        objects = []
        peers = []
        for row in rows:
            obj = self.model.from_db(
                self.alias, self.init_list, row[self.model_start : self.model_end], fetch_mode=self.fetch_mode
            )
            if self.fetch_mode.track_peers:
                peers.append(weak_ref(obj))
                obj._state.peers = peers
            for populator in populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects

    def _converted(self, rows, connection):
        for row in map(list, rows):
            for position, (converters, expression) in self.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
            yield row
