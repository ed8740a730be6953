"""Graphs of layers: branches, joins and the ops around them, with exact answers for every tensor.

A :class:`~symconv.graphs.graph.Graph` is a DAG of named nodes: the layer kinds of
:mod:`symconv.layers.kinds` and the ops of :mod:`.ops` (padding, slices, fixed-size
resizes and pools, shape-preserving ops, flatten, and the joins: concatenation and
element-wise ops with broadcasting). One module a stage:

- :mod:`.graph` and :mod:`.parse`: the graph, built from Python or read from text;
- :mod:`.ops` and :mod:`.steps`: what each op does to one axis;
- :mod:`.sizes`: every tensor's size as an expression, a number, or the first failure,
  and a brute-force run that never calls a formula;
- :mod:`.decide`: the exact input sizes for which every window fits and every join lines up;
- :mod:`.receptive`: receptive fields through branches;
- :mod:`.report`: all of it for one graph, for the command line.
"""

from symconv.graphs.graph import Graph, GraphBuilder, Node, graph_of
from symconv.graphs.parse import parse_graph
from symconv.graphs.report import analyse_graph
from symconv.graphs.sizes import oracle_run, run_graph, tensor_sizes
from symconv.graphs.decide import valid_sizes
from symconv.graphs.receptive import receptive_fields

__all__ = ["Graph", "GraphBuilder", "Node", "graph_of", "parse_graph", "analyse_graph", "oracle_run", "run_graph",
           "tensor_sizes", "valid_sizes", "receptive_fields"]
