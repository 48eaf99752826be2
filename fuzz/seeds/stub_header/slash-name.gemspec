# -*- encoding: utf-8 -*-
# stub: ../slash 1.0 x86_64/../linux lib

