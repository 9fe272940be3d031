"""Enforcement activities (执法活动) and whole-process recording (第十条、第十二条、第十四条).

An activity is the on-site work the regulation asks to be recorded from arrival to its end;
its recordings are linked by time and officer, its coverage and interruptions are computed
from them and stored, and each interruption is explained by voice or in writing.
"""
