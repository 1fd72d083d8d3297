"""Mypy plugin: SQLModel table columns read on the class are SQLAlchemy attributes.

SQLModel declares ``Person.case_number: str``, which is right for an instance but wrong for the
class: ``Person.case_number`` is an ``InstrumentedAttribute[str]`` there, so ``Person.id == x``,
``Person.id.in_(ids)``, ``sa.select(Person.case_number)`` and ``Person.__table__`` are SQL
expressions that mypy would otherwise reject. This plugin

- types class-level reads of a table model's fields as ``InstrumentedAttribute[<field type>]``;
- declares ``__table__: sqlalchemy.Table`` on every table model;
- reads a surrogate primary key declared ``id: int | None = Field(default=None, primary_key=True)``
  as ``int`` (on the class and on instances), as SQLAlchemy's own typing does for
  ``id: Mapped[int] = mapped_column(primary_key=True)``: a row read from the database, or flushed
  to it, always has its key; only a new object before its flush has ``None`` (assigning ``None``
  stays allowed).

so query code is checked instead of silenced. Used by ``[tool.mypy] plugins`` in ``pyproject.toml``.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import (
    MDEF,
    AssignmentStmt,
    CallExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    SymbolTableNode,
    TypeInfo,
    Var,
)
from mypy.plugin import AttributeContext, ClassDefContext, Plugin
from mypy.types import Instance, NoneType, Type, UnionType, get_proper_type

_SQLMODEL = "sqlmodel.main.SQLModel"
_INSTRUMENTED_ATTRIBUTE = "sqlalchemy.orm.attributes.InstrumentedAttribute"
_TABLE = "sqlalchemy.sql.schema.Table"
_METADATA_KEY = "tools.mypy_sqlmodel"


def _model_metadata(info: TypeInfo) -> dict[str, list[str]] | None:
    """What ``_record_table_model`` stored for ``info`` or a base (it survives mypy's cache)."""
    for base in info.mro:
        if _METADATA_KEY in base.metadata:
            return base.metadata[_METADATA_KEY]
    return None


def _is_true(expression: object) -> bool:
    return isinstance(expression, NameExpr) and expression.name == "True"


def _primary_keys(ctx: ClassDefContext) -> list[str]:
    """Names of the fields declared ``name: ... = Field(..., primary_key=True)`` in the class body."""
    keys: list[str] = []
    for statement in ctx.cls.defs.body:
        if not (isinstance(statement, AssignmentStmt) and isinstance(statement.rvalue, CallExpr)):
            continue
        call = statement.rvalue
        if not (isinstance(call.callee, NameExpr | MemberExpr) and call.callee.name == "Field"):
            continue
        marked = any(
            name == "primary_key" and _is_true(value)
            for name, value in zip(call.arg_names, call.args, strict=True)
        )
        if marked:
            keys.extend(lvalue.name for lvalue in statement.lvalues if isinstance(lvalue, NameExpr))
    return keys


def _record_table_model(ctx: ClassDefContext) -> None:
    """Mark a ``SQLModel`` subclass declared with ``table=True`` (with its primary keys) and declare its
    ``__table__`` (SQLModel sets it at runtime without declaring it for type checkers)."""
    info = ctx.cls.info
    if not info.has_base(_SQLMODEL) or not _is_true(ctx.cls.keywords.get("table")):
        return
    info.metadata[_METADATA_KEY] = {"primary_keys": _primary_keys(ctx)}
    if "__table__" in info.names:
        return
    table = ctx.api.named_type_or_none(_TABLE)
    if table is None:  # sqlalchemy not analysed yet: ask mypy for another pass
        if not ctx.api.final_iteration:
            ctx.api.defer()
        return
    var = Var("__table__", table)
    var.info = info
    var._fullname = f"{info.fullname}.__table__"
    var.is_classvar = True
    info.names["__table__"] = SymbolTableNode(MDEF, var, plugin_generated=True)


def _without_none(typ: Type) -> Type:
    """``typ`` with ``None`` removed from a union (``int | None`` -> ``int``)."""
    proper = get_proper_type(typ)
    if not isinstance(proper, UnionType):
        return typ
    return UnionType.make_union([t for t in proper.items if not isinstance(get_proper_type(t), NoneType)])


def _column_hook(attribute_class: TypeInfo | None, primary_key: bool) -> Callable[[AttributeContext], Type]:
    """A hook typing a read of a table field: ``InstrumentedAttribute[T]`` on the class
    (``attribute_class`` given), ``T`` on an instance; ``T`` without ``None`` for a primary key."""

    def hook(ctx: AttributeContext) -> Type:
        if ctx.is_lvalue:
            return ctx.default_attr_type
        value = _without_none(ctx.default_attr_type) if primary_key else ctx.default_attr_type
        return value if attribute_class is None else Instance(attribute_class, [value])

    return hook


class SQLModelColumnsPlugin(Plugin):
    """See the module docstring."""

    def _field(self, fullname: str) -> tuple[str, dict[str, list[str]]] | None:
        """(field name, model metadata) when ``fullname`` is a data field of a table model."""
        class_name, _, attribute = fullname.rpartition(".")
        if attribute.startswith("__"):
            return None
        symbol = self.lookup_fully_qualified(class_name)
        if symbol is None or not isinstance(symbol.node, TypeInfo):
            return None
        metadata = _model_metadata(symbol.node)
        field = symbol.node.names.get(attribute)
        if metadata is None or field is None or not isinstance(field.node, Var) or field.node.is_classvar:
            return None
        return attribute, metadata

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        found = self._field(fullname)
        attribute_class = self.lookup_fully_qualified(_INSTRUMENTED_ATTRIBUTE)
        if found is None or attribute_class is None or not isinstance(attribute_class.node, TypeInfo):
            return None
        attribute, metadata = found
        return _column_hook(attribute_class.node, attribute in metadata["primary_keys"])

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        found = self._field(fullname)
        if found is None or found[0] not in found[1]["primary_keys"]:
            return None
        return _column_hook(None, primary_key=True)

    def get_additional_deps(self, file: MypyFile) -> list[tuple[int, str, int]]:
        """Every module may read columns, so SQLAlchemy's attribute module must be loaded."""
        del file
        return [(10, "sqlalchemy.orm.attributes", -1)]

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        del fullname  # a table model may derive from another model class
        return _record_table_model


def plugin(version: str) -> type[Plugin]:
    """Mypy's entry point."""
    del version
    return SQLModelColumnsPlugin
