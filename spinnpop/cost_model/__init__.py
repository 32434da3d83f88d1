"""What training costs on SpiNNaker 1: ARM cycles of the models' work,
measured on their ARM build (calibrate.py, arm9e.py, the committed
calibration.json), counted by the emulator as cores run (table.py), and
turned into time and energy per sample (report.py)."""
