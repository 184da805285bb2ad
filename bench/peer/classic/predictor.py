# The classic stack's Flask app, rebuilt for the serving benchmark: the AWS "bring your own
# container" example's predictor.py (aws/amazon-sagemaker-examples, scikit_bring_your_own/container/decision_trees) with its scikit-learn model
# swapped for Python XGBoost as in the XGBoost variant of the tutorial (github.com/thushv89/xgboost-aws-container): the model is loaded
# lazily once per worker, /ping answers 200 once it is loaded, /invocations reads the CSV body with
# pandas, predicts and answers one class name per line.
import io
import json
import os

import flask
import pandas as pd
import xgboost as xgb

prefix = os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")
model_path = os.path.join(prefix, "model")


class ScoringService(object):
    model = None  # Where we keep the model when it's loaded
    classes = None

    @classmethod
    def get_model(cls):
        """Get the model object for this instance, loading it if it's not already loaded."""
        if cls.model is None:
            booster = xgb.Booster()
            booster.load_model(os.path.join(model_path, "xgboost-model"))
            names = booster.attr("sagebrew_class_names")
            cls.classes = json.loads(names) if names else None
            cls.model = booster
        return cls.model

    @classmethod
    def predict(cls, input):
        """For the input, do the predictions and return them."""
        booster = cls.get_model()
        scores = booster.predict(xgb.DMatrix(input))
        if not cls.classes:
            # A model without class names (the realistic models of the serving benchmark): its
            # scores, one row per line, as SageMaker's XGBoost container answers CSV.
            return scores
        if scores.ndim == 2:
            index = scores.argmax(axis=1)
        else:
            index = (scores > 0.5).astype(int)
        return [cls.classes[i] for i in index]


# The flask app for serving predictions
app = flask.Flask(__name__)


@app.route("/ping", methods=["GET"])
def ping():
    """Determine if the container is working and healthy: healthy if we can load the model."""
    health = ScoringService.get_model() is not None
    status = 200 if health else 404
    return flask.Response(response="\n", status=status, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def transformation():
    """Do an inference on a single batch of data: CSV in, one prediction per line out."""
    data = None

    # Convert from CSV to pandas
    if flask.request.content_type == "text/csv":
        data = flask.request.data.decode("utf-8")
        s = io.StringIO(data)
        data = pd.read_csv(s, header=None)
    else:
        return flask.Response(response="This predictor only supports CSV data", status=415, mimetype="text/plain")

    print("Invoked with {} records".format(data.shape[0]))

    # Do the prediction
    predictions = ScoringService.predict(data)

    # Convert from numpy back to CSV
    out = io.StringIO()
    pd.DataFrame(predictions).to_csv(out, header=False, index=False)
    result = out.getvalue()

    return flask.Response(response=result, status=200, mimetype="text/csv")
