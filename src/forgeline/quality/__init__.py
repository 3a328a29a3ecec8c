"""Quality: statistical process control, capability, alarms, holds, nonconformance, certificates."""
