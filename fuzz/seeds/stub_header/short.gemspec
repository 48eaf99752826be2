#
# stub: short
