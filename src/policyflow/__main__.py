"""`python -m policyflow`: the same command line as `policyflow`."""
from policyflow.flows.cli import main

main(prog_name="policyflow")
