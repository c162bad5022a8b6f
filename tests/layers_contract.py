"""An import-linter contract type: a domain's repositories belong to that domain.

The stock contracts state "A may not import B" for fixed A and B; the rule the layering needs is
relative to each domain: the service side of a domain (every module that is not a repository)
reaches another domain only through that domain's service, never its repository, and a
repository never imports a service (repositories sit below services).
Listed in `pyproject.toml` under `[tool.importlinter]` as the `domain_repositories` type; run by
`lint-imports` (which puts the working directory on `sys.path`) and by `tests/test_layers.py`.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain import helpers


def _is_repository(module: str, suffix: str) -> bool:
    """`dataset.repository`, `dataset.write_repository`, `auth.principal_repository`."""
    return module.rsplit(".", 1)[-1].endswith(suffix)


class DomainRepositoriesContract(Contract):
    """Options: `domains` (module expressions, e.g. `lnob_api.area`, wildcards allowed),
    `repository_suffix` (default `repository`), `ignore_imports` (as in the stock contracts)."""

    type_name = "domain_repositories"

    domains = fields.ListField(subfield=fields.ModuleExpressionField())
    repository_suffix = fields.StringField(required=False, default="repository")
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(
        contract_utils.AlertLevel, default=contract_utils.AlertLevel.ERROR
    )

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        suffix: str = self.repository_suffix  # type: ignore[assignment]
        domains = sorted(
            module.name
            for module in helpers.module_expressions_to_modules(
                graph=graph,
                expressions=self.domains,  # type: ignore[arg-type]
            )
        )

        def domain_of(module: str) -> str | None:
            for domain in domains:
                if module == domain or module.startswith(domain + "."):
                    return domain
            return None

        broken: list[dict[str, Any]] = []
        for importer in sorted(graph.modules):
            own = domain_of(importer)
            if own is None:
                continue
            importer_is_repository = _is_repository(importer, suffix)
            # A domain's other modules (`sdmx.labels`, `disclosure.primary`) count as its
            # service side; a repository may use its pure helpers (`observation.periods`).
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                other = domain_of(imported)
                if other is None:
                    continue
                imported_is_repository = _is_repository(imported, suffix)
                if importer_is_repository and imported.rsplit(".", 1)[-1] == "service":
                    rule = "a repository imports a service"
                elif not importer_is_repository and imported_is_repository and other != own:
                    rule = "a service imports another domain's repository"
                else:
                    continue
                lines = tuple(
                    detail["line_number"]
                    for detail in graph.get_import_details(importer=importer, imported=imported)
                )
                broken.append(
                    {"importer": importer, "imported": imported, "lines": lines, "rule": rule}
                )
        return ContractCheck(
            kept=not broken,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"broken": broken},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["broken"]:
            lines = ", ".join(map(str, link["lines"]))
            output.print_error(
                f"- {link['importer']} -> {link['imported']} (l.{lines}): {link['rule']}",
                bold=False,
            )
        output.new_line()
