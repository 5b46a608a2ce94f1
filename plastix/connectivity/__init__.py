"""Connectivity formats (Dense, CSR, COO) and the builders that make them."""

from ._base import AbstractConnectivity as AbstractConnectivity
from .builders import FORMATS as FORMATS
from .builders import all_to_all as all_to_all
from .builders import fixed_indegree as fixed_indegree
from .builders import fixed_outdegree as fixed_outdegree
from .builders import fixed_total_number as fixed_total_number
from .builders import from_indices as from_indices
from .builders import one_to_one as one_to_one
from .builders import pairwise_bernoulli as pairwise_bernoulli
from .coo import COO as COO
from .csr import CSR as CSR
from .dense import Dense as Dense
