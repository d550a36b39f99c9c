"""Reading and writing: model summaries, model files, exports."""
