import gradio as gr


def classify(text: str) -> str:
    return "positive" if "good" in text.lower() else "negative"


gr.Interface(fn=classify, inputs="text", outputs="label").launch()
