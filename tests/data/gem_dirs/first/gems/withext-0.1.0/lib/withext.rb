# withext
