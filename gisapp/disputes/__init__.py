"""Disputes (矛盾纠纷): the closed-loop workflow, reading them with privacy, figures and hotspots."""
