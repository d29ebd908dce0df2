/* The scoring of the privacy linear models, compiled.
 *
 * score_units(ids, starts, units, global_ids, weights, bias) -> (p_sensitive, class_index)
 *
 * `weights` is a C-contiguous float32 buffer of rows x len(bias); `ids`, `starts`, `units` and
 * `global_ids` are an Encoded's fields. Each unit's sum is its feature rows' sum plus the global
 * rows' sum, divided by the square root of its feature count, plus the bias: softmax logits. The
 * unit with the highest 1 - p(none) decides (the first on a tie), and its most likely sensitive
 * class (again the first on a tie). Sums run in double over float32 copies of float16 weights, so
 * they are exact and the order of additions changes nothing: the numpy path gives the same sums.
 *
 * row_probabilities(groups, matrix, bias) -> [p, ...]  (shoal.privacy.linear.LinearModel's)
 *
 * `groups` is a list of (value, [row, ...]); `matrix` a C-contiguous float64 buffer of rows x
 * len(bias). The logits are the bias plus each group's value times its rows' sum; the result is
 * their softmax. The same sums as numpy's product in another order (equal to rounding).
 *
 * Why compiled: a gateway request is a few hundred feature ids, and the numpy calls' own cost
 * (a dozen per text) was most of the model's scoring time. Optional: without it numpy scores.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLASSES 16

/* A list of ints as a malloc'ed Py_ssize_t array; each value checked to lie in [0, limit]. */
static Py_ssize_t *read_indices(PyObject *list, const char *what, Py_ssize_t limit, Py_ssize_t *n_out) {
    if (!PyList_Check(list)) {
        PyErr_Format(PyExc_TypeError, "%s must be a list", what);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    Py_ssize_t *out = malloc((size_t)(n > 0 ? n : 1) * sizeof(Py_ssize_t));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t v = PyLong_AsSsize_t(PyList_GET_ITEM(list, i));
        if (v == -1 && PyErr_Occurred()) {
            free(out);
            return NULL;
        }
        if (v < 0 || v > limit) {
            free(out);
            PyErr_Format(PyExc_ValueError, "%s holds %zd, outside 0..%zd", what, v, limit);
            return NULL;
        }
        out[i] = v;
    }
    *n_out = n;
    return out;
}

static void add_row(double *acc, const float *w, Py_ssize_t row, Py_ssize_t k) {
    const float *r = w + row * k;
    for (Py_ssize_t c = 0; c < k; c++)
        acc[c] += (double)r[c];
}

/* The floats of the list or tuple `seq` (`min_k` to MAX_CLASSES of them) into `out`: their count,
 * or -1 with the exception set. */
static Py_ssize_t read_bias(PyObject *seq, Py_ssize_t min_k, double *out) {
    PyObject *fast = PySequence_Fast(seq, "bias must be a list or tuple of floats");
    if (fast == NULL)
        return -1;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(fast);
    if (k < min_k || k > MAX_CLASSES) {
        PyErr_Format(PyExc_ValueError, "bias must hold %zd to %d classes", min_k, MAX_CLASSES);
        k = -1;
    }
    for (Py_ssize_t c = 0; c < k; c++) {
        out[c] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, c));
        if (out[c] == -1.0 && PyErr_Occurred()) {
            k = -1;
            break;
        }
    }
    Py_DECREF(fast);
    return k;
}

/* A C-contiguous buffer of `itemsize`-byte items of struct format `format`, rows x k; 0 on error
 * (with the exception set and nothing held). */
static int get_matrix(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *format, Py_ssize_t k,
                      const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0)
        return 0;
    if (view->itemsize != itemsize || view->format == NULL || strcmp(view->format, format) != 0
            || view->len % (itemsize * k) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous %s buffer of rows x classes", what,
                     itemsize == 4 ? "float32" : "float64");
        PyBuffer_Release(view);
        return 0;
    }
    return 1;
}

static PyObject *score_units(PyObject *self, PyObject *args) {
    PyObject *ids_obj, *starts_obj, *units_obj, *glob_obj, *weights_obj, *bias_obj;
    if (!PyArg_ParseTuple(args, "O!O!O!O!OO", &PyList_Type, &ids_obj, &PyList_Type, &starts_obj,
                          &PyList_Type, &units_obj, &PyList_Type, &glob_obj, &weights_obj, &bias_obj))
        return NULL;
    double bias[MAX_CLASSES];
    Py_ssize_t k = read_bias(bias_obj, 2, bias);
    Py_buffer view;
    if (k < 0 || !get_matrix(weights_obj, &view, 4, "f", k, "weights"))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t *ids = NULL, *starts = NULL, *glob = NULL;
    double *prefix = NULL;
    const float *w = (const float *)view.buf;
    Py_ssize_t rows = view.len / (4 * k);
    Py_ssize_t n_ids, n_starts, n_glob;
    if ((ids = read_indices(ids_obj, "ids", rows - 1, &n_ids)) == NULL)
        goto done;
    if ((starts = read_indices(starts_obj, "starts", n_ids, &n_starts)) == NULL)
        goto done;
    if ((glob = read_indices(glob_obj, "global_ids", rows - 1, &n_glob)) == NULL)
        goto done;
    Py_ssize_t n_units = PyList_GET_SIZE(units_obj);
    if (n_units == 0 || n_starts == 0) {
        result = Py_BuildValue("(di)", 0.0, 1);
        goto done;
    }
    double g[MAX_CLASSES] = {0};
    for (Py_ssize_t j = 0; j < n_glob; j++)
        add_row(g, w, glob[j], k);
    /* prefix[t] = the sum of the feature rows of blocks 0..t-1 (exact in double: see the top). */
    prefix = calloc((size_t)n_starts * (size_t)k, sizeof(double));
    if (prefix == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t t = 1; t < n_starts; t++) {
        double *cur = prefix + t * k;
        memcpy(cur, cur - k, (size_t)k * sizeof(double));
        if (starts[t] < starts[t - 1]) {
            PyErr_SetString(PyExc_ValueError, "starts must not decrease");
            goto done;
        }
        for (Py_ssize_t j = starts[t - 1]; j < starts[t]; j++)
            add_row(cur, w, ids[j], k);
    }
    double best_sens = -1.0, best_p[MAX_CLASSES] = {0};
    for (Py_ssize_t u = 0; u < n_units; u++) {
        PyObject *unit = PyList_GET_ITEM(units_obj, u);
        Py_ssize_t a, b;
        if (!PyTuple_Check(unit) || PyTuple_GET_SIZE(unit) != 2) {
            PyErr_SetString(PyExc_TypeError, "a unit is a (start, end) tuple");
            goto done;
        }
        a = PyLong_AsSsize_t(PyTuple_GET_ITEM(unit, 0));
        b = PyLong_AsSsize_t(PyTuple_GET_ITEM(unit, 1));
        if (PyErr_Occurred())
            goto done;
        if (a < 0 || b < a || b >= n_starts) {
            PyErr_SetString(PyExc_ValueError, "a unit lies outside the blocks");
            goto done;
        }
        Py_ssize_t count = (starts[b] - starts[a]) + n_glob;
        double scale = sqrt((double)(count > 1 ? count : 1));
        double logits[MAX_CLASSES], top = -INFINITY;
        for (Py_ssize_t c = 0; c < k; c++) {
            logits[c] = (prefix[b * k + c] - prefix[a * k + c] + g[c]) / scale + bias[c];
            if (logits[c] > top)
                top = logits[c];
        }
        double total = 0.0, p[MAX_CLASSES];
        for (Py_ssize_t c = 0; c < k; c++)
            total += (p[c] = exp(logits[c] - top));
        for (Py_ssize_t c = 0; c < k; c++)
            p[c] /= total;
        double sens = 1.0 - p[0];
        if (sens > best_sens) {
            best_sens = sens;
            memcpy(best_p, p, (size_t)k * sizeof(double));
        }
    }
    int best_class = 1;
    for (Py_ssize_t c = 2; c < k; c++)
        if (best_p[c] > best_p[best_class])
            best_class = (int)c;
    result = Py_BuildValue("(di)", best_sens > 0.0 ? best_sens : 0.0, best_class);
done:
    free(ids);
    free(starts);
    free(glob);
    free(prefix);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *row_probabilities(PyObject *self, PyObject *args) {
    PyObject *groups, *matrix_obj, *bias_obj;
    if (!PyArg_ParseTuple(args, "O!OO", &PyList_Type, &groups, &matrix_obj, &bias_obj))
        return NULL;
    double logits[MAX_CLASSES];
    Py_ssize_t k = read_bias(bias_obj, 1, logits);
    Py_buffer view;
    if (k < 0 || !get_matrix(matrix_obj, &view, 8, "d", k, "matrix"))
        return NULL;
    PyObject *result = NULL;
    const double *m = (const double *)view.buf;
    Py_ssize_t rows = view.len / (8 * k);
    for (Py_ssize_t gi = 0; gi < PyList_GET_SIZE(groups); gi++) {
        PyObject *group = PyList_GET_ITEM(groups, gi);
        if (!PyTuple_Check(group) || PyTuple_GET_SIZE(group) != 2) {
            PyErr_SetString(PyExc_TypeError, "a group is a (value, rows) tuple");
            goto done;
        }
        double value = PyFloat_AsDouble(PyTuple_GET_ITEM(group, 0));
        if (value == -1.0 && PyErr_Occurred())
            goto done;
        /* The rows as a list or tuple (the callers' comprehensions and cached tuples), no copy. */
        PyObject *found = PySequence_Fast(PyTuple_GET_ITEM(group, 1), "a group's rows must be a list or tuple");
        if (found == NULL)
            goto done;
        double sum[MAX_CLASSES] = {0};
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(found); j++) {
            Py_ssize_t row = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(found, j));
            if ((row == -1 && PyErr_Occurred()) || row < 0 || row >= rows) {
                if (!PyErr_Occurred())
                    PyErr_Format(PyExc_ValueError, "row %zd outside 0..%zd", row, rows - 1);
                Py_DECREF(found);
                goto done;
            }
            const double *r = m + row * k;
            for (Py_ssize_t c = 0; c < k; c++)
                sum[c] += r[c];
        }
        Py_DECREF(found);
        for (Py_ssize_t c = 0; c < k; c++)
            logits[c] += value * sum[c];
    }
    double top = -INFINITY, total = 0.0;
    for (Py_ssize_t c = 0; c < k; c++)
        if (logits[c] > top)
            top = logits[c];
    for (Py_ssize_t c = 0; c < k; c++)
        total += (logits[c] = exp(logits[c] - top));
    result = PyList_New(k);
    if (result == NULL)
        goto done;
    for (Py_ssize_t c = 0; c < k; c++)
        PyList_SET_ITEM(result, c, PyFloat_FromDouble(logits[c] / total));
done:
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"row_probabilities", row_probabilities, METH_VARARGS,
     "row_probabilities(groups, matrix, bias) -> softmax of bias + each group's value x its rows' sum"},
    {"score_units", score_units, METH_VARARGS,
     "score_units(ids, starts, units, global_ids, weights, bias) -> (p_sensitive, class_index)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_unitscore", NULL, -1, methods};

PyMODINIT_FUNC PyInit__unitscore(void) { return PyModule_Create(&module); }
