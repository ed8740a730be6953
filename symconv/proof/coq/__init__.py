"""Theorems and the proofs symconv found, exported to Coq and checked by its kernel.

- :mod:`.terms` spells symconv's integers in Coq: names, polynomials, divisions;
- :mod:`.atoms` keeps Coq's variables for floors, ceilings, mods... in step with the checker's atoms;
- :mod:`.script` turns a certificate into a proof script, rule for rule;
- :mod:`.export` assembles one self-contained ``.v`` file per theorem;
- :mod:`.coqc` runs ``coqc`` on them, when it is installed.
"""

from symconv.proof.coq.export import (HEADER, LIBRARY, CoqFile, export, export_proof, export_proofs, exported_stems,
                                      exporting, file_stem, project_file, unique_stems)

__all__ = ["HEADER", "LIBRARY", "CoqFile", "export", "export_proof", "export_proofs", "exported_stems", "exporting",
           "file_stem", "project_file", "unique_stems"]
